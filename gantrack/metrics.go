package gantrack

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/ganbook/ganbook/gan"
)

// Metric keys of a training step: the JSON names of gan.StepMetrics' fields.
var (
	DLoss        = stepMetricKey("DLoss")
	GLoss        = stepMetricKey("GLoss")
	DReal        = stepMetricKey("DReal")
	DFake        = stepMetricKey("DFake")
	ImagesPerSec = stepMetricKey("ImagesPerSec")
)

// SamplesKey is the image key of the sample grids.
const SamplesKey = "samples"

// stepField is the step counter of gan.StepMetrics: it is the step a value is
// logged at, not a metric.
const stepField = "Step"

// StepMetricKeys lists the metric keys every step logs, in gan.StepMetrics'
// field order.
var StepMetricKeys = func() []string {
	var keys []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[gan.StepMetrics]()) {
		if f.Name != stepField {
			keys = append(keys, jsonName(f))
		}
	}
	return keys
}()

// StepMetricValues maps one step's metrics to their keys (the step itself is
// m.Step, the step they are logged at).
func StepMetricValues(m gan.StepMetrics) map[string]float64 {
	v := reflect.ValueOf(m)
	out := make(map[string]float64, len(StepMetricKeys))
	for _, f := range reflect.VisibleFields(v.Type()) {
		if f.Name != stepField {
			out[jsonName(f)] = v.FieldByIndex(f.Index).Float()
		}
	}
	return out
}

// stepMetricKey is the key of gan.StepMetrics' field name; it panics (at
// package initialisation) when the field is gone.
func stepMetricKey(field string) string {
	f, ok := reflect.TypeFor[gan.StepMetrics]().FieldByName(field)
	if !ok || f.Type.Kind() != reflect.Float64 {
		panic(fmt.Sprintf("gantrack: gan.StepMetrics has no float64 field %s", field))
	}
	return jsonName(f)
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		panic(fmt.Sprintf("gantrack: gan.StepMetrics.%s has no JSON name", f.Name))
	}
	return name
}
