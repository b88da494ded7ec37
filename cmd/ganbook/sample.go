package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/internal/gifanim"
	"github.com/ganbook/ganbook/tracker"
)

// Sample output formats.
const (
	formatPNG  = "png"  // a directory of one PNG per image
	formatGrid = "grid" // one PNG, the images in a grid
	formatNPY  = "npy"  // NumPy float32 [n, 28, 28] in [0, 1]
	formatIDX  = "idx"  // MNIST's IDX format, uint8 [n, 28, 28]
)

var sampleFormats = []string{formatPNG, formatGrid, formatNPY, formatIDX}

// Interpolation paths for --interpolate.
var interpolations = map[string]func(a, b []float32, t float64) []float32{
	"linear":    gan.Lerp,
	"spherical": gan.Slerp,
}

type sampleFlags struct {
	step        int
	n           int
	seed        uint64
	format      string
	out         string
	interpolate bool
	toSeed      uint64
	paths       []string
	class       int
	progress    string
	frameDelay  int
}

func newSampleCommand() *cobra.Command {
	f := &sampleFlags{}
	cmd := &cobra.Command{
		Use:   "sample RUN",
		Short: "Draw images from a run's generator (or --progress: its sample grids as an animated GIF)",
		Long: `Draw --n images from the generator of a recorded run's checkpoint (the latest, or the one
taken at --step) for latent vectors fixed by --seed, and write them as --format:
  png   a directory of one PNG per image
  grid  one PNG with the images in a grid
  npy   a NumPy array, float32 [n, 28, 28], pixels in [0, 1]
  idx   MNIST's IDX format, uint8 [n, 28, 28]
--interpolate draws --n images along the path between the latent vectors of --seed and
--to-seed, one row per --path (linear: the straight line; spherical: the great circle,
which keeps the latents' norm). --progress OUT.gif turns the sample grids saved during
training into an animated GIF instead.`,
		Args: cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	fl := cmd.Flags()
	fl.IntVar(&f.step, "step", 0, "the checkpoint's training step (default: the latest)")
	fl.IntVar(&f.n, "n", 64, "images to draw (with --interpolate: images per path)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the latent vectors")
	fl.StringVar(&f.format, "format", formatGrid, "output format: "+strings.Join(sampleFormats, ", "))
	fl.StringVar(&f.out, "out", "", "output path (default: samples-RUN-step-N.EXT, or a directory for png)")
	fl.BoolVar(&f.interpolate, "interpolate", false, "draw the path between the latents of --seed and --to-seed")
	fl.Uint64Var(&f.toSeed, "to-seed", 2, "with --interpolate: the seed of the path's end")
	fl.StringSliceVar(&f.paths, "path", []string{"linear", "spherical"}, "with --interpolate: linear, spherical or both (one row each)")
	fl.IntVar(&f.class, "class", -1, "the class to draw, 0-9 (conditional models only; without it they draw the classes in turn)")
	fl.StringVar(&f.progress, "progress", "", "write the run's sample grids over training as an animated GIF to this path")
	fl.IntVar(&f.frameDelay, "frame-delay", 20, "with --progress: hundredths of a second per frame")
	gf := addGeneratorFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := f.validate(cmd); err != nil {
			return err
		}
		return withStore(*db, true, func(store *tracker.Store) error {
			run, err := store.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			outDir := run.Tags["out_dir"]
			if outDir == "" {
				return fmt.Errorf("run %s has no out_dir tag: its checkpoints and samples cannot be found", run.ID[:8])
			}
			if f.progress != "" {
				frames, err := writeProgressGIF(f.progress, filepath.Join(outDir, "samples"), f.frameDelay)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %d sample grids of run %s\n", f.progress, frames, run.ID[:8])
				return nil
			}
			if run.Record == nil || len(run.Record.Config) == 0 {
				return fmt.Errorf("run %s has no recorded config", run.ID[:8])
			}
			cfg, err := gan.ConfigFromJSON(run.Record.Config)
			if err != nil {
				return fmt.Errorf("run %s: reading its recorded config: %w", run.ID[:8], err)
			}
			if cmd.Flags().Changed("class") {
				arch, err := gan.NewArchitecture(cfg.Model)
				if err != nil {
					return err
				}
				if arch.Classes == 0 {
					return fmt.Errorf("--class: run %s is an unconditional model (%s), which draws no class on demand; train a class-conditional one with --model %s or %s",
						run.ID[:8], cfg.Model, gan.ModelCMLP, gan.ModelCDCGAN)
				}
				if f.class >= arch.Classes {
					return fmt.Errorf("--class %d: model %s draws classes 0 to %d", f.class, cfg.Model, arch.Classes-1)
				}
			}
			ckpt, err := gan.FindCheckpoint(outDir, f.step)
			if err != nil {
				return fmt.Errorf("run %s: %w", run.ID[:8], err)
			}
			backend, err := gan.NewBackend(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			genCfg, err := gf.config(cfg)
			if err != nil {
				return err
			}
			g, err := gan.LoadGenerator(backend, genCfg, ckpt)
			if err != nil {
				return err
			}
			images, rows, err := f.draw(g)
			if err != nil {
				return err
			}
			out := f.out
			if out == "" {
				out = fmt.Sprintf("samples-%s-step-%d", run.ID[:8], g.Step())
				if f.format != formatPNG {
					out += "." + map[string]string{formatGrid: "png", formatNPY: "npy", formatIDX: "idx"}[f.format]
				}
			}
			if err := writeSamples(out, f.format, images, rows); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d images of run %s at step %d (%s)\n", out, len(images)/pixelsPerImage, run.ID[:8], g.Step(), f.format)
			return nil
		})
	}
	return cmd
}

const pixelsPerImage = gan.ImageSize * gan.ImageSize

// validate refuses bad flags before the database or a checkpoint is opened.
func (f *sampleFlags) validate(cmd *cobra.Command) error {
	if f.progress != "" {
		for _, name := range []string{"step", "n", "format", "out", "interpolate", "class"} {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("--progress writes the run's saved sample grids; --%s does not apply", name)
			}
		}
		return nil
	}
	if f.n <= 0 {
		return fmt.Errorf("--n must be positive, got %d", f.n)
	}
	if f.step < 0 {
		return fmt.Errorf("--step must be positive, got %d", f.step)
	}
	if !slices.Contains(sampleFormats, f.format) {
		return fmt.Errorf("--format %q is not one of %s", f.format, strings.Join(sampleFormats, ", "))
	}
	if f.interpolate {
		if f.n < 2 {
			return fmt.Errorf("--interpolate needs --n of at least 2 (both ends), got %d", f.n)
		}
		if f.toSeed == f.seed {
			return fmt.Errorf("--interpolate: --seed and --to-seed are both %d; the path would be a point", f.seed)
		}
		for _, p := range f.paths {
			if interpolations[p] == nil {
				return fmt.Errorf("--path %q is not linear or spherical", p)
			}
		}
	}
	if cmd.Flags().Changed("class") && f.class < 0 {
		return fmt.Errorf("--class must be a class index ≥ 0, got %d", f.class)
	}
	return nil
}

// draw generates the images (pixels in [0, 1]) and says how many grid rows
// they fill (0: as square as may be).
func (f *sampleFlags) draw(g *gan.Generator) (images []float32, rows int, err error) {
	dim := g.LatentDim()
	var z []float32
	if f.interpolate {
		ends := [2][]float32{gan.LatentVectors(f.seed, 1, dim), gan.LatentVectors(f.toSeed, 1, dim)}
		for _, p := range f.paths {
			for i := range f.n {
				z = append(z, interpolations[p](ends[0], ends[1], float64(i)/float64(f.n-1))...)
			}
		}
		rows = len(f.paths)
	} else {
		z = gan.LatentVectors(f.seed, f.n, dim)
	}
	var pixels []float32
	if f.class >= 0 {
		labels := make([]uint8, len(z)/dim)
		for i := range labels {
			labels[i] = uint8(f.class)
		}
		pixels, err = g.GenerateClasses(z, labels)
	} else {
		pixels, err = g.Generate(z)
	}
	if err != nil {
		return nil, 0, err
	}
	low, high := g.Range()
	for i, v := range pixels {
		pixels[i] = float32((float64(v) - low) / (high - low))
	}
	return pixels, rows, nil
}

// writeSamples writes images ([n·784] in [0, 1]) to out in format.
func writeSamples(out, format string, images []float32, rows int) error {
	n := len(images) / pixelsPerImage
	if format == formatPNG {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		for k := range n {
			img := sampleImageGrid(images[k*pixelsPerImage:(k+1)*pixelsPerImage], 1, 1, 1, 0)
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				return err
			}
			if err := writeSampleFileAtomic(filepath.Join(out, fmt.Sprintf("sample-%04d.png", k)), buf.Bytes()); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
		}
		return nil
	}
	var b []byte
	switch format {
	case formatGrid:
		if rows <= 0 {
			rows = int(math.Round(math.Sqrt(float64(n))))
			rows = max(1, rows)
		}
		cols := (n + rows - 1) / rows
		var buf bytes.Buffer
		if err := png.Encode(&buf, sampleImageGrid(images, rows, cols, 2, 2)); err != nil {
			return err
		}
		b = buf.Bytes()
	case formatNPY:
		b = encodeNPY(images, n)
	case formatIDX:
		b = encodeIDX(images, n)
	}
	if err := writeSampleFileAtomic(out, b); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// samplePixelByte maps a pixel in [0, 1] to 0..255, the way gan.GridPNG does.
func samplePixelByte(v float32) uint8 { return uint8(max(0, min(1, float64(v)))*255 + 0.5) }

// sampleImageGrid lays out 28×28 images in rows×cols cells (row-major; cells past
// the images stay dark), each pixel repeated scale times, with a border.
func sampleImageGrid(images []float32, rows, cols, scale, border int) *image.Gray {
	const size = gan.ImageSize
	cell := size*scale + border
	img := image.NewGray(image.Rect(0, 0, cols*cell+border, rows*cell+border))
	for i := range img.Pix {
		img.Pix[i] = 64
	}
	for k := 0; k < rows*cols && (k+1)*pixelsPerImage <= len(images); k++ {
		x0, y0 := border+(k%cols)*cell, border+(k/cols)*cell
		for y := range size {
			for x := range size {
				g := color.Gray{Y: samplePixelByte(images[k*pixelsPerImage+y*size+x])}
				for dy := range scale {
					for dx := range scale {
						img.SetGray(x0+x*scale+dx, y0+y*scale+dy, g)
					}
				}
			}
		}
	}
	return img
}

// encodeNPY is NumPy's .npy format version 1.0 of a little-endian float32
// array [n, 28, 28]: magic, version, header length, a Python dict literal
// padded with spaces to a multiple of 64 bytes, then the values.
func encodeNPY(images []float32, n int) []byte {
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d), }", n, gan.ImageSize, gan.ImageSize)
	const preamble = 10 // magic (6), version (2), header length (2)
	pad := 64 - (preamble+len(header)+1)%64
	header += strings.Repeat(" ", pad%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	_ = binary.Write(&buf, binary.LittleEndian, images[:n*pixelsPerImage])
	return buf.Bytes()
}

// encodeIDX is the IDX format of MNIST's image files: magic 0x00000803
// (unsigned bytes, three dimensions), the dimensions as big-endian uint32,
// then the pixels as bytes.
func encodeIDX(images []float32, n int) []byte {
	var buf bytes.Buffer
	for _, v := range []uint32{0x00000803, uint32(n), gan.ImageSize, gan.ImageSize} {
		_ = binary.Write(&buf, binary.BigEndian, v)
	}
	for _, v := range images[:n*pixelsPerImage] {
		buf.WriteByte(samplePixelByte(v))
	}
	return buf.Bytes()
}

var sampleGridName = regexp.MustCompile(`^step-(\d+)\.png$`)

// writeProgressGIF animates the sample grids in samplesDir (step-N.png, in
// step order) into one GIF at path, the last frame held longer. It returns
// the number of frames.
func writeProgressGIF(path, samplesDir string, delay int) (int, error) {
	if delay <= 0 {
		return 0, fmt.Errorf("--frame-delay must be positive, got %d", delay)
	}
	entries, err := os.ReadDir(samplesDir)
	if err != nil {
		return 0, fmt.Errorf("the run's sample grids: %w", err)
	}
	type grid struct {
		step int
		name string
	}
	var grids []grid
	for _, e := range entries {
		if m := sampleGridName.FindStringSubmatch(e.Name()); m != nil && !e.IsDir() {
			step, _ := strconv.Atoi(m[1])
			grids = append(grids, grid{step, e.Name()})
		}
	}
	if len(grids) == 0 {
		return 0, fmt.Errorf("%s holds no sample grids (step-N.png)", samplesDir)
	}
	slices.SortFunc(grids, func(a, b grid) int { return a.step - b.step })
	frames := make([]image.Image, 0, len(grids))
	for _, g := range grids {
		f, err := os.Open(filepath.Join(samplesDir, g.name))
		if err != nil {
			return 0, err
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("%s: %w", g.name, err)
		}
		frames = append(frames, img)
	}
	var buf bytes.Buffer
	if err := gifanim.Encode(&buf, frames, delay); err != nil {
		return 0, err
	}
	if err := writeSampleFileAtomic(path, buf.Bytes()); err != nil {
		return 0, fmt.Errorf("--progress: %w", err)
	}
	return len(grids), nil
}

// writeSampleFileAtomic writes via a temporary file in the same directory and a
// rename, so an interrupted write never leaves a half-written file.
func writeSampleFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-sample-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
