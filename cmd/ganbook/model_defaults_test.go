package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ganbook/ganbook/gan"
)

// `--model dcgan` takes the DCGAN's defaults for every setting not given on
// the command line; settings given keep their value, even when they equal
// the MLP's default.
func TestModelPicksItsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want func() gan.Config
	}{
		{"no flags: the MLP's recipe", nil, gan.DefaultConfig},
		{"--model dcgan: the DCGAN's recipe", []string{"--model", "dcgan"}, gan.DCGANConfig},
		{"--model dcgan with a batch given", []string{"--model", "dcgan", "--batch", "32"}, func() gan.Config {
			c := gan.DCGANConfig()
			c.Batch = 32
			return c
		}},
		{"--model dcgan given the MLP's own dropout", []string{"--model", "dcgan", "--dropout-d", "0.3"}, func() gan.Config {
			c := gan.DCGANConfig()
			c.DropoutD = 0.3
			return c
		}},
		{"--model cmlp: the MLP's recipe", []string{"--model", "cmlp"}, func() gan.Config {
			c := gan.DefaultConfig()
			c.Model = gan.ModelCMLP
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, f := newTrainCommandFlags()
			if err := cmd.Flags().Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			applyModelDefaults(cmd.Flags(), &f.cfg)
			if want := tc.want(); f.cfg != want {
				t.Errorf("config\n got %+v\nwant %+v", f.cfg, want)
			}
		})
	}
}

// The DCGAN's recipe differs from the MLP's, and the help shows both defaults
// of each setting that differs (and only one where they agree).
func TestTrainHelpShowsEachModelsDefaults(t *testing.T) {
	mlp, dcgan := gan.DefaultConfig(), gan.DCGANConfig()
	if mlp.DropoutD == dcgan.DropoutD || dcgan.Model != gan.ModelDCGAN {
		t.Fatalf("the DCGAN's recipe %+v has the MLP's dropout", dcgan)
	}
	usage := newTrainCommand().Flags().FlagUsages()
	for _, want := range []string{
		fmt.Sprintf("(default %g for mlp, %g for dcgan)", mlp.DropoutD, dcgan.DropoutD),
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("train --help lacks %q:\n%s", want, usage)
		}
	}
}

// A setting both models share keeps the single default in the help.
func TestTrainHelpShowsSharedDefaultsOnce(t *testing.T) {
	usage := newTrainCommand().Flags().FlagUsages()
	want := fmt.Sprintf("(default %d)", gan.DefaultConfig().Batch)
	if gan.DCGANConfig().Batch == gan.DefaultConfig().Batch && !strings.Contains(usage, want) {
		t.Errorf("train --help lacks %q:\n%s", want, usage)
	}
}
