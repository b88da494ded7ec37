// Package gifanim encodes a sequence of images as one animated GIF: the training
// progression of a GAN's sample grids, as `ganbook sample --progress` writes it and
// the tracker's web UI serves it. It knows only image.Image frames, nothing of runs
// or stores, so both sides may import it.
package gifanim
