package gantrack

import (
	"io"

	"github.com/gomlx/compute"

	"github.com/ganbook/ganbook/gan"
	"github.com/ganbook/ganbook/gan/data"
)

// Training is a trainer wired to its data, batch source and backend.
type Training struct {
	Config     gan.Config
	Data       *data.Dataset
	Backend    compute.Backend
	Trainer    *gan.Trainer
	TotalSteps int
}

// Setup says where a Training's parts come from; zero values take the defaults.
type Setup struct {
	// Data is the training set; nil loads the config's dataset from DataDir
	// (empty: the shipped copies, see gan.LoadTrainingSet).
	Data    *data.Dataset
	DataDir string
	// Backend runs the graphs; nil opens gan.NewBackend, which explains its
	// choice on BackendLog (nil: io.Discard).
	Backend    compute.Backend
	BackendLog io.Writer
	// Options are the trainer's (output directory, resume).
	Options gan.Options
}

// NewTraining validates cfg and wires data → batch source → backend →
// trainer, for a run of cfg.TotalSteps over the training set.
func NewTraining(cfg gan.Config, s Setup) (*Training, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ds := s.Data
	if ds == nil {
		var err error
		if ds, err = gan.LoadTrainingSet(cfg, s.DataDir); err != nil {
			return nil, err
		}
	}
	source, err := gan.NewSamplerSource(ds, cfg)
	if err != nil {
		return nil, err
	}
	backend := s.Backend
	if backend == nil {
		log := s.BackendLog
		if log == nil {
			log = io.Discard
		}
		if backend, err = gan.NewBackend(log); err != nil {
			return nil, err
		}
	}
	total := cfg.TotalSteps(ds.N)
	trainer, err := gan.NewTrainer(backend, cfg, source, total, s.Options)
	if err != nil {
		return nil, err
	}
	return &Training{Config: cfg, Data: ds, Backend: backend, Trainer: trainer, TotalSteps: total}, nil
}
