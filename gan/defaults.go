package gan

// DefaultConfigFor returns the default recipe of the model named model: the
// DCGAN's own (see [DCGANConfig]) for [ModelDCGAN], else [DefaultConfig]
// with Model set (the MLP's recipe, which the conditional models share).
func DefaultConfigFor(model string) Config {
	if model == ModelDCGAN {
		return DCGANConfig()
	}
	cfg := DefaultConfig()
	cfg.Model = model
	return cfg
}

// DCGANConfig returns the DCGAN's default recipe, found by tutorial 08's
// measured search (records in tutorials/measured/dcgan-search, the five
// seeds of this recipe in tutorials/measured/dcgan-default): the MLP's
// settings with batch 32, the discriminator's learning rate halved to 1e-4,
// dropout 0.3 in D and no batch norm in D, for 7,000 steps (about nine
// minutes on two cores). With batch 64 and D's batch norm the DCGAN drew 5–7
// of the ten digits; this recipe drew all ten in each of the five seeds
// recorded, at an MNIST-FID of 9.8 to 10.9 (the MLP's recipe: 9.55).
func DCGANConfig() Config {
	cfg := DefaultConfig()
	cfg.Model = ModelDCGAN
	cfg.Batch = 32
	cfg.Steps = 7000
	cfg.LRD = 1e-4
	cfg.DropoutD = 0.3
	cfg.NormD = NormNone
	return cfg
}
