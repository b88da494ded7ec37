package gantrack

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"

	"github.com/ganbook/ganbook/gan"
)

// Keys of the tags every recorded run gets.
const (
	// TagTrainerVersion holds gan.TrainerVersion: runs of the same config by
	// trainers with other numerics do not compare bitwise.
	TagTrainerVersion = "trainer_version"
	// TagConfig holds ConfigHash: a filter tags.config = '…' finds the runs
	// of exactly one configuration by this trainer version (the notebooks'
	// run cache).
	TagConfig = "config"
	// TagOutDir holds the absolute output directory (checkpoints, samples),
	// where `ganbook eval` finds a run's checkpoints. Only runs with one.
	TagOutDir = "out_dir"
	// TagResumedFrom holds the id of the run a resumed run continues.
	TagResumedFrom = "resumed_from"
)

// ConfigHash identifies a configuration trained by this version of the
// trainer: the first 12 hex digits of the SHA-256 of gan.TrainerVersion, a
// newline and the configuration's JSON.
func ConfigHash(cfg gan.Config) string {
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err) // a Config holds only strings and numbers
	}
	sum := sha256.Sum256(append([]byte(gan.TrainerVersion+"\n"), b...))
	return hex.EncodeToString(sum[:6])
}

// StandardTags are the tags every run of cfg gets: trainer version,
// configuration hash, and the output directory (made absolute) when outDir
// is not empty.
func StandardTags(cfg gan.Config, outDir string) (map[string]string, error) {
	tags := map[string]string{
		TagTrainerVersion: gan.TrainerVersion,
		TagConfig:         ConfigHash(cfg),
	}
	if outDir != "" {
		abs, err := filepath.Abs(outDir)
		if err != nil {
			return nil, err
		}
		tags[TagOutDir] = abs
	}
	return tags, nil
}
