package quality

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/ganbook/ganbook/gan/data"
)

// InputRange is the pixel range the classifier reads: 0 is black, 1 white.
var InputRange = data.UnitRange

// rangeSlack is how far outside [0, 1] a pixel may be before Run refuses the
// images: float rounding of a rescaled image stays well inside it, a [-1, 1]
// image does not.
const rangeSlack = 1e-3

// ToUnitRange maps pixels from the range from (e.g. a tanh generator's
// [-1, 1]) to the classifier's [0, 1], clamping what falls outside. It
// returns a new slice.
func ToUnitRange(pixels []float32, from data.Range) []float32 {
	out := make([]float32, len(pixels))
	scale := 1 / (from.Max - from.Min)
	for i, p := range pixels {
		out[i] = min(max((p-from.Min)*scale, 0), 1)
	}
	return out
}

// toUnitRange is ToUnitRange that returns pixels itself when they already are
// in [0, 1]; the zero Range means [0, 1], as in data.Options.
func toUnitRange(pixels []float32, from data.Range) []float32 {
	if from == (data.Range{}) || from == data.UnitRange {
		return pixels
	}
	return ToUnitRange(pixels, from)
}

func checkUnitRange(pixels []float32) error {
	for i, p := range pixels {
		if !(p >= -rangeSlack && p <= 1+rangeSlack) { // also catches NaN
			return fmt.Errorf("quality: pixel %d of image %d is %g, outside the classifier's [0, 1]: rescale with quality.ToUnitRange",
				i%(ImageSize*ImageSize), i/(ImageSize*ImageSize), p)
		}
	}
	return nil
}

func inputShape(n int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, ImageSize, ImageSize, 1)
}
