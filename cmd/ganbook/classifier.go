package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
	"github.com/ganbook/ganbook/gan/quality"
)

// newClassifierCommand is `ganbook classifier`: the classifiers behind the
// quality metrics (MNIST-FID, class coverage).
func newClassifierCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "classifier",
		Short: "Train or check the classifiers the quality metrics use",
		Long: `ganbook measures sample quality (FID, class coverage) with its own small CNN
classifiers, one per dataset, whose weights are committed in gan/quality/weights.
"classifier train" retrains one deterministically; "classifier test" reports the
accuracy and id of the committed (or a given) one.`,
	}
	cmd.AddCommand(newClassifierTrainCommand(), newClassifierTestCommand())
	return cmd
}

func newClassifierTrainCommand() *cobra.Command {
	opts := quality.DefaultTrainOptions()
	var dataset, dataDir, out string
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the quality classifier of a dataset and write its weights",
		Long: `Train the quality classifier (architecture ` + quality.Architecture + `) on a dataset's training
split, deterministically for a backend (fixed seed and batch order), report its
test accuracy, and write the weights file. The defaults are the settings the
committed weights were trained with; to replace those, copy the file over
gan/quality/weights/<dataset>-` + quality.Architecture + `.bin and update its sha256 in gan/quality/committed.go.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runClassifierTrain(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), dataset, dataDir, out, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataset, "dataset", gan.DatasetMNIST, "dataset: mnist or fashion")
	fl.StringVar(&dataDir, "data-dir", "", "directory holding the dataset's IDX files (default: the shipped copies)")
	fl.StringVar(&out, "out", "", "weights file to write (default <dataset>-"+quality.Architecture+".bin)")
	fl.IntVar(&opts.Epochs, "epochs", opts.Epochs, "passes over the training split")
	fl.IntVar(&opts.Batch, "batch", opts.Batch, "batch size")
	fl.Float64Var(&opts.LearningRate, "lr", opts.LearningRate, "Adam's peak learning rate (cosine decay to 0)")
	fl.Uint64Var(&opts.Seed, "seed", opts.Seed, "seed of the initial weights and the batch order")
	return cmd
}

func runClassifierTrain(ctx context.Context, stdout, stderr io.Writer, dataset, dataDir, out string, opts quality.TrainOptions) error {
	if opts.Epochs <= 0 || opts.Batch <= 0 || !(opts.LearningRate > 0) || opts.Seed == 0 {
		return fmt.Errorf("--epochs, --batch, --lr and --seed must be positive")
	}
	if out == "" {
		out = dataset + "-" + quality.Architecture + ".bin"
	}
	train, test, err := loadClassifierData(dataset, dataDir)
	if err != nil {
		return err
	}
	backend, err := gan.NewBackend(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ganbook: training the %s classifier (%s): %d epochs of batch %d, lr %g, seed %d, backend %s\n",
		dataset, quality.Architecture, opts.Epochs, opts.Batch, opts.LearningRate, opts.Seed, backend.Name())
	every := 0
	opts.Progress = func(p quality.TrainProgress) {
		if every == 0 {
			every = max(1, p.TotalSteps/20)
		}
		if p.Step%every == 0 || p.Step == p.TotalSteps {
			fmt.Fprintf(stderr, "step %d/%d  epoch %d  loss %.4f  %s\n", p.Step, p.TotalSteps, p.Epoch+1, p.Loss, p.Elapsed.Round(time.Second))
		}
	}
	start := time.Now()
	ex, err := quality.Train(ctx, backend, train, test, opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, ex.WeightsFile(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy %.2f%% (%s test split, %d images)\n", 100*ex.TestAccuracy(), dataset, test.N)
	fmt.Fprintf(stdout, "weights: %s (%d bytes, sha256 %s)\n", out, len(ex.WeightsFile()), ex.SHA256())
	fmt.Fprintf(stdout, "extractor id: %s  (trained in %s)\n", ex.ID(), time.Since(start).Round(time.Second))
	if sha, ok := quality.CommittedSHA256(dataset); ok {
		if sha == ex.SHA256() {
			fmt.Fprintln(stdout, "identical to the committed weights")
		} else {
			fmt.Fprintf(stdout, "differs from the committed weights (sha256 %s): other settings, backend or gan/blocks code\n", sha)
		}
	}
	return nil
}

func newClassifierTestCommand() *cobra.Command {
	var dataset, dataDir, weights string
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Measure a quality classifier's test accuracy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, test, err := loadClassifierData(dataset, dataDir)
			if err != nil {
				return err
			}
			backend, err := gan.NewBackend(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var ex *quality.Extractor
			if weights != "" {
				ex, err = quality.LoadExtractorFile(backend, weights)
			} else {
				ex, err = quality.LoadExtractor(backend, dataset)
			}
			if err != nil {
				return err
			}
			if ex.Dataset() != dataset {
				return fmt.Errorf("%s is a %s classifier, not %s (use --dataset %s)", weights, ex.Dataset(), dataset, ex.Dataset())
			}
			acc, err := ex.Accuracy(test)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: test accuracy %.2f%% (%s test split, %d images; %.2f%% when trained)\n",
				ex.ID(), 100*acc, dataset, test.N, 100*ex.TestAccuracy())
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataset, "dataset", gan.DatasetMNIST, "dataset: mnist or fashion")
	fl.StringVar(&dataDir, "data-dir", "", "directory holding the dataset's IDX files (default: the shipped copies)")
	fl.StringVar(&weights, "weights", "", "weights file to test (default: the committed classifier)")
	return cmd
}

func loadClassifierData(dataset, dataDir string) (train, test *data.Dataset, err error) {
	opts := data.Options{DataDir: dataDir, Scale: quality.InputRange}
	if train, err = data.Load(dataset, data.Train, opts); err != nil {
		return nil, nil, err
	}
	if test, err = data.Load(dataset, data.Test, opts); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
