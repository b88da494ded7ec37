package data_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/ganbook/ganbook/gan/data"
)

// Load MNIST's test split scaled for a tanh generator, and draw a batch.
func Example() {
	ds, err := data.Load("mnist", data.Test, data.Options{Scale: data.SymmetricRange, NoDownload: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.N, ds.Height, ds.Width, ds.Labels[:10])
	fmt.Println(ds.Files[1].SHA256)

	sampler, err := data.NewSampler(ds, 64, 1)
	if err != nil {
		log.Fatal(err)
	}
	batch := make([]float32, 64*ds.Height*ds.Width)
	labels := make([]uint8, 64)
	for range 157 { // one epoch of 156 batches, and one more
		sampler.Next(batch, labels)
	}
	fmt.Printf("%+v\n", sampler.State())
	// Output:
	// 10000 28 28 [7 2 1 0 4 1 4 9 5 9]
	// ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
	// {Seed:1 Epoch:1 Index:64 BatchSize:64 N:10000}
}

// Errors say which file was refused and why; errors.Is tells the kind.
func ExampleLoad_errors() {
	_, err := data.Load("cifar10", data.Train, data.Options{})
	fmt.Println(errors.Is(err, data.ErrUnknownDataset), err)

	_, err = data.Load("mnist", data.Train, data.Options{DataDir: "/no/such/dir"})
	fmt.Println(errors.Is(err, data.ErrNotFound), err)
	// Output:
	// true data: unknown dataset "cifar10" (valid: mnist, fashion)
	// true data: /no/such/dir: not found: the data directory does not exist
}
