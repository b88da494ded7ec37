// Command ganbook trains GANs and records every run in an experiment tracker.
//
//	ganbook train --model mlp --steps 5000 --out runs/mlp
//
// Run "ganbook help" for the commands.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/tracker"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ganbook:", err)
		var filterErr *tracker.FilterError
		if errors.As(err, &filterErr) {
			fmt.Fprintln(os.Stderr, filterErr.Caret())
		}
		var exit *exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		os.Exit(1)
	}
}

// exitError carries a specific exit status (e.g. 130 after Ctrl-C).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "ganbook",
		Short:         "Train, track and compare GANs in Go",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newTrainCommand(),
		newRunsCommand(),
		newShowCommand(),
		newCompareCommand(),
		newExportCommand(),
		newTagCommand(),
		newRmCommand(),
		newReproduceCommand(),
		newUICommand(),
		newKernelCommand(),
		newClassifierCommand(),
		newEvalCommand(),
		newSyncCommand(),
		newSampleCommand(),
		newEvalClassesCommand(),
		newSweepCommand(),
	)
	return root
}
