// Command quality is the Go half of bench/quality-vs-torch: it trains
// ganbook's GAN and writes its samples, and it scores sample files (ganbook's
// and PyTorch's) with ganbook's quality metrics.
//
//	go run ./bench/quality train --model dcgan --steps 1000 --out ganbook.f32
//	go run ./bench/quality score --dataset mnist ganbook=ganbook.f32 torch=torch.f32
//
// Sample files are raw little-endian float32, N×28×28, pixels in [0, 1].
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/gantrack"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: quality train|score [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "train":
		err = train(os.Args[2:])
	case "score":
		err = score(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (train, score)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quality:", err)
		os.Exit(1)
	}
}

func train(args []string) error {
	cfg := gan.DefaultConfig()
	fs := flag.NewFlagSet("train", flag.ExitOnError)
	fs.StringVar(&cfg.Model, "model", gan.ModelDCGAN, "mlp or dcgan")
	fs.IntVar(&cfg.Steps, "steps", 1000, "D+G iterations")
	fs.IntVar(&cfg.Batch, "batch", 64, "batch size")
	fs.Float64Var(&cfg.LRD, "lr-d", cfg.LRD, "D learning rate")
	fs.Float64Var(&cfg.LRG, "lr-g", cfg.LRG, "G learning rate")
	fs.Float64Var(&cfg.RealLabel, "real-label", cfg.RealLabel, "D's target for real images")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed")
	// The reference architecture has no dropout: compare like with like.
	fs.Float64Var(&cfg.DropoutD, "dropout-d", 0, "dropout in the MLP discriminator (the PyTorch side has none)")
	samples := fs.Int("samples", quality.DefaultSamples, "samples to write")
	out := fs.String("out", "", "sample file to write")
	_ = fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("train: --out is required")
	}
	cfg.SampleEvery, cfg.CheckpointEvery = 0, 0
	training, err := gantrack.NewTraining(cfg, gantrack.Setup{BackendLog: os.Stderr})
	if err != nil {
		return err
	}
	arch, err := gan.NewArchitecture(cfg.Model)
	if err != nil {
		return err
	}
	tr, backend := training.Trainer, training.Backend
	start := time.Now()
	every := max(1, cfg.Steps/10)
	for tr.Step() < cfg.Steps {
		m, err := tr.TrainStep()
		if err != nil {
			return err
		}
		if m.Step%every == 0 || m.Step == cfg.Steps {
			fmt.Printf("ganbook step %d/%d  D loss %.4f  G loss %.4f  D(x) %.3f  %.0fs\n",
				m.Step, cfg.Steps, m.DLoss, m.GLoss, m.DReal, time.Since(start).Seconds())
		}
	}
	trainSeconds := time.Since(start).Seconds()
	images, err := quality.DrawSamples(tr.Generate, quality.SampleOptions{
		Samples: *samples, LatentDim: cfg.LatentDim, Seed: uint64(cfg.Seed),
		Range: data.Range{Min: float32(arch.Low), Max: float32(arch.High)},
	})
	if err != nil {
		return err
	}
	if err := writeSamples(*out, images); err != nil {
		return err
	}
	fmt.Printf("ganbook train_seconds %.1f  backend %s  samples %d -> %s\n", trainSeconds, backend.Name(), *samples, *out)
	return nil
}

func score(args []string) error {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	dataset := fs.String("dataset", "mnist", "mnist or fashion")
	grids := fs.String("grids", "", "directory to write an 8×8 PNG grid of each sample file to")
	_ = fs.Parse(args)
	if fs.NArg() == 0 {
		return fmt.Errorf("score: give NAME=FILE arguments")
	}
	backend, err := gan.NewBackend(os.Stderr)
	if err != nil {
		return err
	}
	ex, err := quality.LoadExtractor(backend, *dataset)
	if err != nil {
		return err
	}
	ref, err := data.Load(*dataset, data.Test, data.Options{})
	if err != nil {
		return err
	}
	var names []string
	fids := map[string]float64{}
	for _, arg := range fs.Args() {
		name, path, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("score: %q is not NAME=FILE", arg)
		}
		images, err := readSamples(path)
		if err != nil {
			return err
		}
		n := len(images) / (quality.ImageSize * quality.ImageSize)
		start := time.Now()
		r, err := quality.Evaluate(ex, images, n, ref)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Printf("%s: %s  [scored in %.1fs]\n", name, r, time.Since(start).Seconds())
		fmt.Printf("coverage %s %d\n", name, r.Coverage)
		names = append(names, name)
		fids[name] = r.FID
		if *grids != "" {
			png, err := gan.GridPNG(images[:min(64, n)*quality.ImageSize*quality.ImageSize], 8, quality.ImageSize, 0, 1, 2)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(*grids, name+".png"), png, 0o644); err != nil {
				return err
			}
		}
	}
	line := "fid"
	for _, name := range names {
		line += fmt.Sprintf(" %s %.3f", name, fids[name])
	}
	fmt.Println(line)
	return nil
}

func writeSamples(path string, images []float32) error {
	b := make([]byte, 4*len(images))
	for i, v := range images {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return os.WriteFile(path, b, 0o644)
}

func readSamples(path string) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	const image = 4 * quality.ImageSize * quality.ImageSize
	if len(b) == 0 || len(b)%image != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of 28×28 float32 images", path, len(b))
	}
	images := make([]float32, len(b)/4)
	for i := range images {
		images[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return images, nil
}
