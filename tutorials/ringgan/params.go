package ringgan

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/ganbook/ganbook/gan"
)

// layers are the Dense layers of each network, input to output (see mlp).
var layers = []string{"fc0", "fc1", "out"}

// ParamDims returns the shapes of the parameters in the order of Snapshot.Params: for the
// generator and then the discriminator, each layer's weights [in, out] and biases [out].
func ParamDims(cfg Config) [][]int {
	var dims [][]int
	for _, net := range []struct{ in, out int }{{cfg.NoiseDim, 2}, {2, 1}} {
		widths := []int{net.in, cfg.Hidden, cfg.Hidden, net.out}
		for i := range layers {
			dims = append(dims, []int{widths[i], widths[i+1]}, []int{widths[i+1]})
		}
	}
	return dims
}

// params reads both networks' parameters from store in the order of ParamDims.
func params(store *model.Store) ([]float32, error) {
	var flat []float32
	for _, net := range []string{gan.GeneratorScope, gan.DiscriminatorScope} {
		for _, layer := range layers {
			for _, name := range []string{"weights", "biases"} {
				v := store.Scope(net).At("%s", layer).GetVariable(name)
				if v == nil {
					return nil, fmt.Errorf("ringgan: no variable %s/%s/%s", net, layer, name)
				}
				t, err := v.Value()
				if err != nil {
					return nil, err
				}
				vals, err := tensors.CopyFlatData[float32](t)
				if err != nil {
					return nil, err
				}
				flat = append(flat, vals...)
			}
		}
	}
	return flat, nil
}
