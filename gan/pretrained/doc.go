// Package pretrained holds small trained generators committed with ganbook, so
// that a notebook or a test can draw from a good model without training one:
// their weights in float16 (half the size of a checkpoint's float32, the
// generator alone), with the configuration and step they were trained with.
package pretrained
