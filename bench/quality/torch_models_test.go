package main

import (
	"encoding/json"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph ops read as math.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan"
)

// requireTorch skips (or, with CI=true, fails) a test when Debian's python3
// has no PyTorch.
func requireTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: /usr/bin/python3 cannot import torch and numpy (scripts/install-test-deps.sh installs python3-torch): %v", err)
		}
		t.Skipf("no PyTorch in /usr/bin/python3 (apt-get install python3-torch); the test fails instead when CI=true: %v", err)
	}
}

// ganbookTrainableSizes builds one model's generator and discriminator the
// way the trainer does and returns the sorted element counts of each
// network's trainable variables.
func ganbookTrainableSizes(t *testing.T, name string) (generator, discriminator []int) {
	t.Helper()
	arch, err := gan.NewArchitecture(name)
	if err != nil {
		t.Fatal(err)
	}
	backend, err := gan.NewBackend(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	latent := gan.DefaultConfig().LatentDim
	store := model.NewStore()
	exec, err := model.NewExec(backend, store, func(s *model.Scope, z *Node) *Node {
		st := s.Store()
		images := arch.Generator(st.Scope(gan.GeneratorScope), z, gan.Training)
		return arch.Discriminator(st.Scope(gan.DiscriminatorScope), images, gan.Training)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Call(tensors.FromFlatDataAndDimensions(make([]float32, 2*latent), 2, latent)); err != nil {
		t.Fatal(err)
	}
	for v := range store.IterVariables() {
		if !v.Trainable {
			continue
		}
		switch {
		case strings.HasPrefix(v.Path(), gan.GeneratorScope+"/"):
			generator = append(generator, v.Shape().Size())
		case strings.HasPrefix(v.Path(), gan.DiscriminatorScope+"/"):
			discriminator = append(discriminator, v.Shape().Size())
		}
	}
	slices.Sort(generator)
	slices.Sort(discriminator)
	return generator, discriminator
}

func sum(xs []int) (s int) {
	for _, x := range xs {
		s += x
	}
	return s
}

// TestTorchModelsMatchGanbook checks that bench/torch_models.py, the PyTorch
// side of bench/compare-torch and bench/quality-vs-torch, has ganbook's
// networks: for each model and network, the same number of trainable tensors
// with the same sizes (so the same parameter count).
func TestTorchModelsMatchGanbook(t *testing.T) {
	requireTorch(t)
	out, err := exec.Command("/usr/bin/python3", "../torch_models.py", "--params").Output()
	if err != nil {
		t.Fatalf("bench/torch_models.py --params: %v", err)
	}
	var torchSizes map[string]map[string][]int
	if err := json.Unmarshal(out, &torchSizes); err != nil {
		t.Fatalf("bench/torch_models.py --params printed %q: %v", out, err)
	}
	// The benches compare the unconditional models; the class-conditional
	// cmlp and cdcgan have no PyTorch counterpart.
	compared := []string{"mlp", "dcgan"}
	for _, name := range compared {
		if !slices.Contains(gan.Models(), name) {
			t.Errorf("ganbook has no model %q (models %v)", name, gan.Models())
		}
	}
	if got := slices.Sorted(maps.Keys(torchSizes)); !slices.Equal(got, slices.Sorted(slices.Values(compared))) {
		t.Errorf("bench/torch_models.py has models %v, want %v", got, compared)
	}
	for _, name := range compared {
		t.Run(name, func(t *testing.T) {
			torch, ok := torchSizes[name]
			if !ok {
				t.Fatalf("bench/torch_models.py has no model %q", name)
			}
			g, d := ganbookTrainableSizes(t, name)
			for _, c := range []struct {
				network        string
				ganbook, torch []int
			}{{"generator", g, torch["generator"]}, {"discriminator", d, torch["discriminator"]}} {
				if len(c.ganbook) == 0 {
					t.Errorf("%s: ganbook's %s has no trainable variables", name, c.network)
				}
				if !slices.Equal(c.ganbook, c.torch) {
					t.Errorf("%s %s: ganbook's trainable tensor sizes %v (%d parameters), PyTorch's %v (%d)",
						name, c.network, c.ganbook, sum(c.ganbook), c.torch, sum(c.torch))
				} else {
					t.Logf("%s %s: %d parameters in %d tensors on both sides", name, c.network, sum(c.ganbook), len(c.ganbook))
				}
			}
		})
	}
}
