package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ganbook/ganbook/gan"
)

// configFlag is the `ganbook train` flag that sets the gan.Config field with
// the JSON name field: lr_d → --lr-d.
func configFlag(field string) string { return "--" + strings.ReplaceAll(field, "_", "-") }

// configFieldWords matches a quoted string (a value, left as it is) or the
// JSON name of a gan.Config field as a whole word, the longest first.
var configFieldWords = func() *regexp.Regexp {
	var names []string
	for _, name := range gan.ParamNames() {
		names = append(names, regexp.QuoteMeta(name))
	}
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	return regexp.MustCompile(`"(?:[^"\\]|\\.)*"|\b(?:` + strings.Join(names, "|") + `)\b`)
}()

// inFlagTerms rewrites gan's errors in the CLI's words: a config field
// (gan.FieldError, also inside errors.Join) becomes its flag, and the
// trainer's output-directory errors say which flags help.
func inFlagTerms(err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *gan.FieldError:
		reason := configFieldWords.ReplaceAllStringFunc(e.Reason, func(word string) string {
			if strings.HasPrefix(word, `"`) {
				return word
			}
			return configFlag(word)
		})
		return fmt.Errorf("invalid %s: %s", configFlag(e.Field), reason)
	case interface{ Unwrap() []error }:
		var errs []error
		for _, x := range e.Unwrap() {
			errs = append(errs, inFlagTerms(x))
		}
		return errors.Join(errs...)
	}
	switch {
	case errors.Is(err, gan.ErrCheckpointsExist):
		return fmt.Errorf("%w: pass --resume to continue that run, or choose another --out", err)
	case errors.Is(err, gan.ErrNoCheckpoint):
		return fmt.Errorf("--resume: %w", err)
	}
	return err
}

// generatorFlags are the flags of a command that loads a run's generator
// and may load it otherwise than the run draws: neither setting changes
// training, so both can be chosen again for a trained run.
type generatorFlags struct {
	cmd       *cobra.Command
	raw       bool
	preciseBN int
}

func addGeneratorFlags(cmd *cobra.Command) *generatorFlags {
	f := &generatorFlags{cmd: cmd}
	cmd.Flags().BoolVar(&f.raw, "raw-weights", false, "use G's raw weights, not the moving average a run trained with --ema keeps (no effect on other runs)")
	cmd.Flags().IntVar(&f.preciseBN, "precise-bn", 0, "measure G's batch-norm statistics over this many latent vectors, 0: use its running averages (default: as the run does)")
	return f
}

// overridden reports whether the flags load another generator than the run's.
func (f *generatorFlags) overridden() bool {
	return f.raw || f.cmd.Flags().Changed("precise-bn")
}

// config is the run's cfg as the flags load its generator.
func (f *generatorFlags) config(cfg gan.Config) (gan.Config, error) {
	if !f.overridden() {
		return cfg, nil
	}
	if f.raw {
		cfg.EMA = 0
	}
	if f.cmd.Flags().Changed("precise-bn") {
		cfg.PreciseBN = f.preciseBN
	}
	return cfg, inFlagTerms(cfg.Validate())
}
