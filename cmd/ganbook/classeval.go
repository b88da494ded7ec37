package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
	"github.com/ganbook/ganbook/tracker"
)

// classAccuracyGoal is the share of the samples asked for class c that the
// classifier must label c for a conditional model to count as drawing c.
const classAccuracyGoal = 0.95

// classReport is how well a conditional generator draws one class.
type classReport struct {
	Class    int
	Accuracy float64 // share of the samples the classifier labels Class
	FID      float64 // against the test images of Class only
	Samples  int
}

// classSubset is the images of ds whose label is class.
func classSubset(ds *data.Dataset, class int) *data.Dataset {
	sub := *ds
	sub.Images, sub.Labels, sub.N = nil, nil, 0
	for i, l := range ds.Labels {
		if int(l) == class {
			sub.Images = append(sub.Images, ds.Image(i)...)
			sub.Labels = append(sub.Labels, l)
			sub.N++
		}
	}
	return &sub
}

// evaluateClasses asks g for samples images of every class, from the same
// latent vectors for each class, and measures them with ex against the
// reference images of that class.
func evaluateClasses(ex *quality.Extractor, g *gan.Generator, reference *data.Dataset, samples int) ([]classReport, error) {
	if g.Classes() == 0 {
		return nil, fmt.Errorf("the model is not class-conditional: it draws no class on demand")
	}
	if samples < 2 {
		return nil, fmt.Errorf("--samples must be at least 2, got %d", samples)
	}
	low, high := g.Range()
	z := gan.LatentVectors(evalSampleSeed, samples, g.LatentDim())
	const batch = 500
	var reports []classReport
	for c := range g.Classes() {
		images := make([]float32, 0, samples*pixelsPerImage)
		for start := 0; start < samples; start += batch {
			n := min(batch, samples-start)
			labels := slices.Repeat([]uint8{uint8(c)}, n)
			pixels, err := g.GenerateClasses(z[start*g.LatentDim():(start+n)*g.LatentDim()], labels)
			if err != nil {
				return nil, err
			}
			images = append(images, quality.ToUnitRange(pixels, data.Range{Min: float32(low), Max: float32(high)})...)
		}
		r, err := quality.Evaluate(ex, images, samples, classSubset(reference, c))
		if err != nil {
			return nil, fmt.Errorf("class %d: %w", c, err)
		}
		reports = append(reports, classReport{Class: c, Accuracy: r.ClassFractions[c], FID: r.FID, Samples: samples})
	}
	return reports, nil
}

// printClassReports prints one line per class, a mark on each under the
// accuracy goal, and a summary line.
func printClassReports(w io.Writer, step int, ex *quality.Extractor, reports []classReport) {
	fmt.Fprintf(w, "step %d: per-class samples (%d each, extractor %s)\n", step, reports[0].Samples, ex.ID())
	fmt.Fprintf(w, "class  accuracy  FID\n")
	worst := reports[0]
	meanFID := 0.0
	for _, r := range reports {
		mark := ""
		if r.Accuracy < classAccuracyGoal {
			mark = "  !"
		}
		fmt.Fprintf(w, "%5d  %7.2f%%  %.2f%s\n", r.Class, 100*r.Accuracy, r.FID, mark)
		if r.Accuracy < worst.Accuracy {
			worst = r
		}
		meanFID += r.FID / float64(len(reports))
	}
	fmt.Fprintf(w, "lowest accuracy %.2f%% (class %d), mean per-class FID %.2f\n", 100*worst.Accuracy, worst.Class, meanFID)
}

func newEvalClassesCommand() *cobra.Command {
	var dataDir string
	var samples, step int
	cmd := &cobra.Command{
		Use:   "eval-classes RUN",
		Short: "Measure a class-conditional run class by class: the classifier's accuracy on each class's samples, FID per class",
		Long: `Ask the generator of a class-conditional run (--model cmlp or cdcgan) for --samples images
of every class, from the same latent vectors, and measure them with ganbook's committed
classifier: the share of the samples asked for class c that it labels c, and the FID
against the test images of class c. Classes under 95 % accuracy are marked with !.`,
		Args: cobra.ExactArgs(1),
	}
	db := dbFlag(cmd)
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "directory holding the dataset's IDX files")
	cmd.Flags().IntVar(&samples, "samples", 1000, "generated images per class")
	cmd.Flags().IntVar(&step, "step", 0, "the checkpoint's training step (default: the latest)")
	gf := addGeneratorFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return withStore(*db, true, func(store *tracker.Store) error {
			run, err := store.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if run.Record == nil || len(run.Record.Config) == 0 {
				return fmt.Errorf("run %s has no recorded config", run.ID[:8])
			}
			cfg, err := gan.ConfigFromJSON(run.Record.Config)
			if err != nil {
				return fmt.Errorf("run %s: reading its recorded config: %w", run.ID[:8], err)
			}
			if arch, err := gan.NewArchitecture(cfg.Model); err != nil {
				return err
			} else if arch.Classes == 0 {
				return fmt.Errorf("run %s is an unconditional model (%s): eval-classes needs a class-conditional one (--model %s or %s)",
					run.ID[:8], cfg.Model, gan.ModelCMLP, gan.ModelCDCGAN)
			}
			outDir := run.Tags["out_dir"]
			if outDir == "" {
				return fmt.Errorf("run %s has no out_dir tag: its checkpoints cannot be found", run.ID[:8])
			}
			ckpt, err := gan.FindCheckpoint(outDir, step)
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
			ex, err := quality.LoadExtractor(backend, cfg.Dataset)
			if err != nil {
				return err
			}
			ref, err := data.Load(cfg.Dataset, data.Test, data.Options{DataDir: dataDir, Scale: quality.InputRange})
			if err != nil {
				return err
			}
			reports, err := evaluateClasses(ex, g, ref, samples)
			if err != nil {
				return err
			}
			printClassReports(cmd.OutOrStdout(), g.Step(), ex, reports)
			return nil
		})
	}
	return cmd
}
