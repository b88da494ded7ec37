package nb

import (
	"fmt"
	"html"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
)

// FrameSlider returns the HTML of a slider over min, min+step, …, max that shows the
// picture frame(v) (HTML, an SVG say) for its value v. Every frame is drawn when the cell
// runs, and a few lines of JavaScript swap them as the slider moves, so the cell ends at
// once and the kernel is free: the slider keeps working with no program listening. A
// headless run, which runs no JavaScript, keeps the frame for initial, the only one shown.
func FrameSlider(label, unit string, min, max, step, initial int, frame func(v int) (string, error)) (string, error) {
	switch {
	case step <= 0:
		return "", fmt.Errorf("FrameSlider %q: step %d must be positive", label, step)
	case max < min:
		return "", fmt.Errorf("FrameSlider %q: max %d is below min %d", label, max, min)
	case initial < min || initial > max || (initial-min)%step != 0:
		return "", fmt.Errorf("FrameSlider %q: initial %d is not one of %d, %d, …, %d", label, initial, min, min+step, max)
	}
	id := "ganbook-slider-" + gonbui.UniqueId()
	var b strings.Builder
	fmt.Fprintf(&b, `<div id="%s" class="ganbook-frame-slider">`, id)
	fmt.Fprintf(&b, `<label>%s = <input type="range" min="%d" max="%d" step="%d" value="%d" style="vertical-align: middle"> <output>%d</output>%s</label>`,
		html.EscapeString(label), min, max, step, initial, initial, html.EscapeString(unit))
	for v := min; v <= max; v += step {
		f, err := frame(v)
		if err != nil {
			return "", fmt.Errorf("FrameSlider %q: frame at %d: %w", label, v, err)
		}
		hidden := ""
		if v != initial {
			hidden = ` style="display: none"`
		}
		fmt.Fprintf(&b, `<div class="ganbook-frame" data-value="%d"%s>%s</div>`, v, hidden, f)
	}
	fmt.Fprintf(&b, `<script>(() => {
  const root = document.getElementById(%q);
  const input = root.querySelector("input"), out = root.querySelector("output");
  const show = () => {
    out.textContent = input.value;
    for (const f of root.querySelectorAll(".ganbook-frame")) {
      f.style.display = f.dataset.value === input.value ? "" : "none";
    }
  };
  input.addEventListener("input", show);
})();</script></div>`, id)
	return b.String(), nil
}
