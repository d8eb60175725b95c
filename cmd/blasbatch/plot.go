package main

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

// writePlot draws the speedup of the rows that ran against their outer
// worker count, one line per inner count, with the ideal speedup of inner =
// 1 dashed (outer / base's threads: outer itself when base is 1 × 1), and
// saves it to path in the format its extension names (.png, .svg, .pdf …).
func writePlot(path string, rows []*scaleRow, base shape, title string) error {
	byInner := map[int]plotter.XYs{}
	var inners, outers []int
	for _, r := range rows {
		if !r.ok() {
			continue
		}
		byInner[r.inner] = append(byInner[r.inner], plotter.XY{X: float64(r.outer), Y: r.speedup})
		if !slices.Contains(inners, r.inner) {
			inners = append(inners, r.inner)
		}
		if !slices.Contains(outers, r.outer) {
			outers = append(outers, r.outer)
		}
	}
	if len(outers) == 0 {
		return fmt.Errorf("no split ran")
	}
	slices.Sort(inners)
	slices.Sort(outers)

	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "outer workers"
	p.Y.Label.Text = "speedup over " + base.String()
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.YOffs = -vg.Points(4)
	p.Legend.XOffs = vg.Points(4)
	p.Add(plotter.NewGrid())

	ticks := make([]plot.Tick, len(outers))
	for i, o := range outers {
		ticks[i] = plot.Tick{Value: float64(o), Label: strconv.Itoa(o)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)

	lo, hi := float64(outers[0]), float64(outers[len(outers)-1])
	ideal, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo / float64(base.threads())}, {X: hi, Y: hi / float64(base.threads())}})
	if err != nil {
		return err
	}
	ideal.Color = color.Gray{Y: 0x60}
	ideal.Width = vg.Points(1)
	ideal.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	p.Add(ideal)
	p.Legend.Add("ideal, inner=1", ideal)

	// Filled glyphs, so that a point drawn over another at the same
	// outer count still shows.
	glyphs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}
	ymax := hi / float64(base.threads())
	for i, in := range inners {
		xys := byInner[in]
		slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		points.Color = plotutil.Color(i)
		points.Shape = glyphs[i%len(glyphs)]
		points.Radius = vg.Points(4.5 - float64(min(i, 3))*0.5)
		p.Add(line, points)
		p.Legend.Add("inner="+strconv.Itoa(in), line, points)
		for _, xy := range xys {
			ymax = max(ymax, xy.Y)
		}
	}
	p.X.Min, p.X.Max = lo-0.25*max(hi-lo, 1), hi+0.25*max(hi-lo, 1)
	p.Y.Min, p.Y.Max = 0, 1.15*ymax
	p.Y.Tick.Marker = plot.TickerFunc(speedupTicks)

	for _, s := range []*draw.TextStyle{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle} {
		s.Font.Size = vg.Points(13)
	}
	p.X.Tick.Label.Font.Size = vg.Points(11)
	p.Y.Tick.Label.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "" {
		format = "png" // a device or FIFO (checkScaleOutputs refuses a file without one)
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, format)
	if err != nil {
		return err
	}
	return safefile.WriteFile(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}

// speedupTicks labels the speedup axis from 0 in steps of 0.25, 0.5, 1, 2,
// 5, 10, …: the smallest step that takes at most 8 steps to reach hi.
func speedupTicks(lo, hi float64) []plot.Tick {
	step := 0.25
	for hi/step > 8 {
		if mantissa := step / math.Pow(10, math.Floor(math.Log10(step))); mantissa == 2 {
			step *= 2.5 // 2 → 5, 20 → 50, …
		} else {
			step *= 2 // 0.25 → 0.5 → 1 → 2, 5 → 10, …
		}
	}
	var ticks []plot.Tick
	for k := 0; float64(k)*step <= hi; k++ {
		v := float64(k) * step
		if v >= lo {
			ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
		}
	}
	return ticks
}
