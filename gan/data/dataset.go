package data

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// Split selects the training or the test part of a dataset.
type Split int

const (
	Train Split = iota // 60000 examples
	Test               // 10000 examples
)

func (s Split) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// ParseSplit turns "train" or "test" into a Split.
func ParseSplit(s string) (Split, error) {
	switch s {
	case "train":
		return Train, nil
	case "test":
		return Test, nil
	}
	return 0, fmt.Errorf("data: unknown split %q (valid: train, test)", s)
}

// Range is the interval pixels are mapped to: byte 0 becomes Min and byte 255
// becomes Max, linearly in between.
type Range struct{ Min, Max float32 }

var (
	// UnitRange suits a generator with a sigmoid output.
	UnitRange = Range{0, 1}
	// SymmetricRange suits a generator with a tanh output.
	SymmetricRange = Range{-1, 1}
)

func (r Range) String() string { return fmt.Sprintf("[%g,%g]", r.Min, r.Max) }

func (r Range) validate() error {
	lo, hi := float64(r.Min), float64(r.Max)
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(lo < hi) {
		return fmt.Errorf("data: invalid pixel range %v: need finite Min < Max", r)
	}
	return nil
}

// Options tells Load where to look and how to scale. The zero value looks in
// the default places, may download, and scales pixels to [0,1].
type Options struct {
	// DataDir, when set, is the only place looked at (see the package doc).
	DataDir string
	// Scale is the pixel range; the zero Range means UnitRange.
	Scale Range
	// CacheDir keeps downloads; "" means os.UserCacheDir()/ganbook/datasets.
	// Files are kept in CacheDir/<dataset name>/.
	CacheDir string
	// NoDownload forbids network access (the Go module fetch included).
	NoDownload bool
	// Mirrors replaces the default base URLs downloads are tried from, in
	// order; each is joined with the file name, e.g. BASE/train-images-idx3-ubyte.gz.
	Mirrors []string
	// HTTPClient is used for downloads; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// FileInfo records one file a Dataset was read from, for reproducibility
// records.
type FileInfo struct {
	Path   string // where it was read from (a local path, also after a download)
	SHA256 string // hex SHA-256 of the decompressed IDX bytes (equal to the constant it was checked against)
	Size   int64  // bytes of the decompressed IDX data, the bytes SHA256 hashes
	Gzip   bool   // whether the file was gzip-compressed
}

// Dataset is one split of a dataset, in memory.
type Dataset struct {
	Name    string   // "mnist" or "fashion"
	Split   Split    // Train or Test
	Classes []string // names of the labels 0..9
	// Images holds N images of Height×Width pixels, row-major, one after
	// another, scaled to Scale.
	Images        []float32
	Labels        []uint8 // N labels in 0..9
	N             int
	Height, Width int
	Scale         Range
	Source        string     // which source the files came from, in words
	Files         []FileInfo // the images file, then the labels file
}

// Image returns image i's pixels (a view into Images, not a copy).
func (d *Dataset) Image(i int) []float32 {
	p := d.Height * d.Width
	return d.Images[i*p : (i+1)*p : (i+1)*p]
}

// fileSpec is what one IDX file must be.
type fileSpec struct {
	base   string // file name without .gz
	magic  uint32 // 0x00000803 for images, 0x00000801 for labels
	dims   []int
	sha256 string // hex SHA-256 of the decompressed bytes
}

type datasetSpec struct {
	name    string
	title   string
	classes []string
	// files[split] = {images, labels}
	files   map[Split][2]fileSpec
	mirrors []string
}

const (
	imagesMagic = 0x00000803
	labelsMagic = 0x00000801
	side        = 28
)

func idxFiles(trainImg, trainLbl, testImg, testLbl string) map[Split][2]fileSpec {
	return map[Split][2]fileSpec{
		Train: {
			{"train-images-idx3-ubyte", imagesMagic, []int{60000, side, side}, trainImg},
			{"train-labels-idx1-ubyte", labelsMagic, []int{60000}, trainLbl},
		},
		Test: {
			{"t10k-images-idx3-ubyte", imagesMagic, []int{10000, side, side}, testImg},
			{"t10k-labels-idx1-ubyte", labelsMagic, []int{10000}, testLbl},
		},
	}
}

// The SHA-256 constants are of the decompressed IDX files. They were computed
// from GoMNIST's and Debian's copies, whose compressed MNIST files also match
// the MD5 sums published with torchvision, and they agree with the SHA-256
// sums of the uncompressed files listed by independent projects.
var specs = []datasetSpec{
	{
		name:    "mnist",
		title:   "MNIST handwritten digits",
		classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		files: idxFiles(
			"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
			"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
			"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
			"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
		),
		mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"https://storage.googleapis.com/cvdf-datasets/mnist/",
		},
	},
	{
		name:  "fashion",
		title: "Fashion-MNIST (Zalando)",
		classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
			"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
		files: idxFiles(
			"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
			"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
			"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
			"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
		),
		mirrors: []string{
			"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
			"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
		},
	},
}

// Names lists the valid dataset names.
func Names() []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

func lookup(name string) (*datasetSpec, error) {
	for i := range specs {
		if specs[i].name == name {
			return &specs[i], nil
		}
	}
	return nil, fmt.Errorf("data: %w %q (valid: %s)", ErrUnknownDataset, name, strings.Join(Names(), ", "))
}

// Load reads one split of the named dataset ("mnist" or "fashion"), verified
// and scaled. See the package doc for where it looks.
func Load(name string, split Split, opts Options) (*Dataset, error) {
	return LoadContext(context.Background(), name, split, opts)
}

// LoadContext is Load with a context that bounds any fetch or download.
func LoadContext(ctx context.Context, name string, split Split, opts Options) (*Dataset, error) {
	spec, err := lookup(name)
	if err != nil {
		return nil, err
	}
	if split != Train && split != Test {
		return nil, fmt.Errorf("data: invalid split %v", split)
	}
	if opts.Scale == (Range{}) {
		opts.Scale = UnitRange
	}
	if err := opts.Scale.validate(); err != nil {
		return nil, err
	}
	files, source, err := find(ctx, spec, split, opts)
	if err != nil {
		return nil, err
	}
	imgSpec, lblSpec := spec.files[split][0], spec.files[split][1]
	n := imgSpec.dims[0]
	headerLen := func(fs fileSpec) int { return 4 + 4*len(fs.dims) }
	pixels := files[0].payload[headerLen(imgSpec):]
	labels := files[1].payload[headerLen(lblSpec):]

	ds := &Dataset{
		Name:    spec.name,
		Split:   split,
		Classes: append([]string(nil), spec.classes...),
		Images:  make([]float32, len(pixels)),
		Labels:  append([]uint8(nil), labels...),
		N:       n,
		Height:  imgSpec.dims[1],
		Width:   imgSpec.dims[2],
		Scale:   opts.Scale,
		Source:  source,
		Files:   []FileInfo{files[0].info, files[1].info},
	}
	lut := scaleTable(opts.Scale)
	for i, p := range pixels {
		ds.Images[i] = lut[p]
	}
	return ds, nil
}

// scaleTable maps each byte value to its scaled pixel, computed in float64
// and rounded once. The weighted form lands exactly on Min at 0 and Max at 255
// (lo*255 and hi*255 are exact in float64 for float32 inputs).
func scaleTable(r Range) *[256]float32 {
	var t [256]float32
	lo, hi := float64(r.Min), float64(r.Max)
	for p := range t {
		t[p] = float32((lo*float64(255-p) + hi*float64(p)) / 255)
	}
	return &t
}
