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
		{"--model dcgan with a step count given", []string{"--model", "dcgan", "--steps", "500"}, func() gan.Config {
			c := gan.DCGANConfig()
			c.Steps = 500
			return c
		}},
		{"--model dcgan given the MLP's own batch", []string{"--model", "dcgan", "--batch", "128"}, func() gan.Config {
			c := gan.DCGANConfig()
			c.Batch = 128
			return c
		}},
		{"--model dcgan given the MLP's own (unset) D normalisation", []string{"--model", "dcgan", "--norm-d", ""}, func() gan.Config {
			c := gan.DCGANConfig()
			c.NormD = ""
			return c
		}},
		{"--model cmlp: the MLP's recipe", []string{"--model", "cmlp"}, func() gan.Config {
			c := gan.DefaultConfig()
			c.Model = gan.ModelCMLP
			return c
		}},
		{"--model cdcgan: the DCGAN's first recipe", []string{"--model", "cdcgan"}, gan.CDCGANConfig},
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
// of each setting that differs (and only one where they agree); a setting the
// MLP leaves unset is named for the DCGAN alone.
func TestTrainHelpShowsEachModelsDefaults(t *testing.T) {
	mlp, dcgan := gan.DefaultConfig(), gan.DCGANConfig()
	if mlp.Batch == dcgan.Batch || mlp.Steps == dcgan.Steps || mlp.LRD == dcgan.LRD || dcgan.Model != gan.ModelDCGAN {
		t.Fatalf("the DCGAN's recipe %+v shares the MLP's batch, steps or lr_d", dcgan)
	}
	if mlp.NormD != "" || dcgan.NormD == "" {
		t.Fatalf("want the MLP's norm_d unset and the DCGAN's set; got %q and %q", mlp.NormD, dcgan.NormD)
	}
	usage := newTrainCommand().Flags().FlagUsages()
	for _, want := range []string{
		fmt.Sprintf("(default %d for mlp and cmlp, %d for dcgan and cdcgan)", mlp.Batch, dcgan.Batch),
		fmt.Sprintf("(default %d for mlp and cmlp, %d for dcgan and cdcgan)", mlp.Steps, dcgan.Steps),
		fmt.Sprintf("(default %g for mlp and cmlp, %g for dcgan and cdcgan)", mlp.LRD, dcgan.LRD),
		fmt.Sprintf("(default \"%s for dcgan and cdcgan\")", dcgan.NormD), // pflag quotes a string flag's default
		fmt.Sprintf("(default %g for mlp, cmlp and cdcgan, %g for dcgan)", mlp.LRG, dcgan.LRG),
		fmt.Sprintf("(default %d for dcgan)", dcgan.PreciseBN), // unset for the others
	} {
		if !strings.Contains(usage, want) {
			t.Errorf("train --help lacks %q:\n%s", want, usage)
		}
	}
}

// A setting every model shares keeps the single default in the help.
func TestTrainHelpShowsSharedDefaultsOnce(t *testing.T) {
	mlp, dcgan := gan.DefaultConfig(), gan.DCGANConfig()
	if mlp.Beta1 != dcgan.Beta1 || mlp.Beta1 != gan.CDCGANConfig().Beta1 {
		t.Fatalf("the models' beta1 differ: pick a shared setting")
	}
	usage := newTrainCommand().Flags().FlagUsages()
	if want := fmt.Sprintf("Adam β1 for both optimisers (default %g)", mlp.Beta1); !strings.Contains(usage, want) {
		t.Errorf("train --help lacks %q:\n%s", want, usage)
	}
}
