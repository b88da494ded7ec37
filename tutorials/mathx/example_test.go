package mathx_test

import (
	"fmt"

	"github.com/ganbook/ganbook/tutorials/mathx"
)

func ExampleCross() {
	a, b := mathx.Vec3{1, 2, 3}, mathx.Vec3{4, 5, 6}
	c := mathx.Cross(a, b)
	fmt.Println(c, a.Dot(c), b.Dot(c))
	fmt.Println(mathx.Skew(a).MulVec(b))
	// Output:
	// [-3 6 -3] 0 0
	// [-3 6 -3]
}

func ExampleOptimalDiscriminator() {
	// Where the data is three times as likely as the generator's samples, D* = 3/4.
	fmt.Println(mathx.OptimalDiscriminator(3, 1))
	fmt.Printf("%.6f\n", mathx.MaximizeD(3, 1, 1e-12))
	// Output:
	// 0.75
	// 0.750000
}

func ExampleTrajectory() {
	// Simultaneous gradient descent on min_x max_y xy gains a factor √(1+η²) in radius per step.
	traj := mathx.Trajectory(mathx.SimultaneousGD, mathx.Point{1, 0}, 0.5, 2)
	for _, z := range traj {
		fmt.Printf("%v r=%.4f\n", z, z.Radius())
	}
	// Output:
	// [1 0] r=1.0000
	// [1 0.5] r=1.1180
	// [0.75 1] r=1.2500
}
