package quality

import "embed"

// weightsFS holds the committed classifier weights, written by
// `ganbook classifier train` (quality.Train with DefaultTrainOptions on the
// go backend) and checked against the sha256 constants below when loaded.
//
//go:embed weights/*.bin
var weightsFS embed.FS

type committedWeights struct{ file, sha256 string }

// committed lists the classifier of each dataset. A retrained file changes
// its sha256, hence the extractor id that every Report carries.
var committed = map[string]committedWeights{
	// 2 epochs, batch 128, Adam lr 2e-3 with cosine decay, seed 1: 99.24 % test accuracy.
	"mnist": {"weights/mnist-cnn-v1.bin", "efd55178cda7084ce445d2dd5546934838d8c64aba3fccd5acb42ac9750599be"},
	// The same settings: 91.22 % test accuracy.
	"fashion": {"weights/fashion-cnn-v1.bin", "662772b8176e9887df1ec8a24ba7bfe8bdd27fbbbbfd024188373c2c5de0e34a"},
}

// CommittedSHA256 is the sha256 of the weights committed for dataset, the one
// [LoadExtractor] checks; a retrained file that matches it reproduces them.
func CommittedSHA256(dataset string) (string, bool) {
	w, ok := committed[dataset]
	return w.sha256, ok
}
