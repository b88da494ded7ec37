package outergrad_test

import (
	"fmt"

	"github.com/ganbook/ganbook/tutorials/outergrad"
)

// Two examples of a layer with 2 inputs and 3 outputs: the weight gradient is x₁⊗δ₁ + x₂⊗δ₂.
func ExampleOuterProductSum() {
	x := []float32{1, 2, 0, 3}            // x₁ = (1, 2), x₂ = (0, 3)
	delta := []float32{1, -1, 2, 4, 0, 1} // δ₁ = (1, −1, 2), δ₂ = (4, 0, 1)
	grad := outergrad.OuterProductSum(x, delta, 2, 2, 3)
	fmt.Println(grad[:3])
	fmt.Println(grad[3:])
	// Output:
	// [1 -1 2]
	// [14 -2 7]
}
