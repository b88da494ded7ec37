package gan

import (
	"fmt"

	"github.com/ganbook/ganbook/gan/data"
)

// LoadTrainingSet loads the training split of cfg.Dataset, scaled to the pixel
// range of cfg.Model's generator. dataDir, when set, is the only place looked at.
func LoadTrainingSet(cfg Config, dataDir string) (*data.Dataset, error) {
	arch, err := NewArchitecture(cfg.Model)
	if err != nil {
		return nil, err
	}
	scale := data.Range{Min: float32(arch.Low), Max: float32(arch.High)}
	ds, err := data.Load(cfg.Dataset, data.Train, data.Options{DataDir: dataDir, Scale: scale})
	if err != nil {
		return nil, err
	}
	if ds.Height != ImageSize || ds.Width != ImageSize {
		return nil, fmt.Errorf("%s images are %dx%d; the models draw %dx%d", ds.Name, ds.Height, ds.Width, ImageSize, ImageSize)
	}
	return ds, nil
}

// NewSamplerSource serves a dataset's shuffled batches to the trainer, seeded
// from cfg.Seed so that a run is reproducible.
func NewSamplerSource(ds *data.Dataset, cfg Config) (BatchSource, error) {
	s, err := data.NewSampler(ds, cfg.Batch, uint64(cfg.Seed))
	if err != nil {
		return nil, err
	}
	return samplerSource{s}, nil
}

type samplerSource struct{ *data.Sampler }

func (s samplerSource) Next(dst []float32) { s.Sampler.Next(dst, nil) }

func (s samplerSource) Position() (epoch, index int) {
	st := s.State()
	return st.Epoch, st.Index
}

func (s samplerSource) Seek(epoch, index int) error {
	st := s.State()
	st.Epoch, st.Index = epoch, index
	return s.Restore(st)
}
