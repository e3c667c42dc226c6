//! Line charts as SVG, drawn in the binary (no script, nothing loaded): a Map's
//! progress over time in `asl run --report html`, the scaling curve of `asl bench
//! --plot`. Axes start at 0 with "nice" ticks (1, 2, 5 × 10ⁿ); every text is escaped.
//!
//! Each point drawn with a marker is a `<circle class="pl-pt" data-series="…"
//! data-x="…" data-y="…">` holding its exact values, so that tools (and tests) can
//! read the figures back.
pub use super::svg::escape;
use std::fmt::Write as _;

/// Which points of a series get a marker and their value printed next to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markers {
    None,
    All,
    Last,
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Shown in the legend (and as the points' `data-series`).
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// A CSS colour.
    pub color: &'static str,
    pub dashed: bool,
    /// Drawn as steps (a count that holds, then jumps) instead of straight segments.
    pub step: bool,
    pub markers: Markers,
    /// How a marked point's value is printed.
    pub format: fn(f64) -> String,
}

impl Series {
    pub fn new(label: &str, points: Vec<(f64, f64)>, color: &'static str) -> Series {
        Series {
            label: label.to_string(),
            points,
            color,
            dashed: false,
            step: false,
            markers: Markers::All,
            format: number,
        }
    }
}

/// A chart: a title, two labelled axes and its series.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub width: f64,
    pub height: f64,
    pub series: Vec<Series>,
    /// Ticks of the x axis at exactly these values (thread counts) instead of steps.
    pub x_ticks: Option<Vec<f64>>,
    pub x_format: fn(f64) -> String,
    pub y_format: fn(f64) -> String,
    /// Classes and attributes of the chart's element (`class="pl-chart …"`): written
    /// as given, so the caller escapes attribute values.
    pub class: String,
    pub attributes: String,
}

const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;

/// The styles of the charts (`pl-` classes, so that they mix with a page's own).
pub const STYLE: &str = r#"
.pl-bg { fill: #ffffff; }
.pl-title { font: 600 13px system-ui, sans-serif; fill: #16191f; }
.pl-axis-label { font: 12px system-ui, sans-serif; fill: #414d5c; }
.pl-tick { font: 11px system-ui, sans-serif; fill: #5f6b7a; }
.pl-grid { stroke: #e9ebed; stroke-width: 1; }
.pl-axis { stroke: #8d99a6; stroke-width: 1; }
.pl-line { fill: none; stroke-width: 2; stroke-linejoin: round; }
.pl-val { font: 600 11px system-ui, sans-serif; fill: #16191f; }
.pl-legend { font: 11px system-ui, sans-serif; fill: #414d5c; }
"#;

impl Chart {
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Chart {
        Chart {
            title: title.to_string(),
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            width: 480.0,
            height: 300.0,
            series: Vec::new(),
            x_ticks: None,
            x_format: number,
            y_format: number,
            class: String::new(),
            attributes: String::new(),
        }
    }

    /// The chart as a `<g>` at (`x`, `y`) of an enclosing SVG.
    pub fn group(&self, x: f64, y: f64) -> String {
        format!(
            "<g class=\"pl-chart {}\"{} transform=\"translate({x:.1},{y:.1})\">{}</g>",
            self.class,
            self.attributes,
            self.body()
        )
    }

    /// The chart alone as an `<svg>` element (to embed in HTML; see [`document`] for
    /// a file).
    pub fn to_svg(&self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pl-chart {}\"{} width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\"><title>{}</title>{}</svg>",
            self.class,
            self.attributes,
            escape(&self.title),
            self.body(),
            w = self.width,
            h = self.height,
        )
    }

    /// Everything drawn, with (0, 0) at the chart's top left.
    fn body(&self) -> String {
        let (w, h) = (self.width, self.height);
        let (pw, ph) = ((w - LEFT - RIGHT).max(10.0), (h - TOP - BOTTOM).max(10.0));
        let all: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let x_max = all
            .iter()
            .map(|p| p.0)
            .chain(self.x_ticks.iter().flatten().copied())
            .fold(0.0, f64::max);
        let y_max = all.iter().map(|p| p.1).fold(0.0, f64::max);
        let x_ticks = match &self.x_ticks {
            Some(t) if !t.is_empty() => t.clone(),
            _ => nice_ticks(x_max),
        };
        let y_ticks = nice_ticks(y_max);
        let x_top = x_ticks.iter().copied().fold(x_max, f64::max).max(1e-9);
        let y_top = y_ticks.iter().copied().fold(y_max, f64::max).max(1e-9);
        let sx = |x: f64| LEFT + x / x_top * pw;
        let sy = |y: f64| TOP + ph - y / y_top * ph;
        let mut b = String::new();
        let _ = write!(
            b,
            "<rect class=\"pl-bg\" width=\"{w:.0}\" height=\"{h:.0}\"/><text class=\"pl-title\" x=\"{LEFT}\" y=\"20\">{}</text>",
            escape(&self.title)
        );
        for &t in &y_ticks {
            let y = sy(t);
            let _ = write!(
                b,
                "<line class=\"pl-grid\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/><text class=\"pl-tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LEFT + pw,
                LEFT - 6.0,
                y + 4.0,
                escape(&(self.y_format)(t))
            );
        }
        for &t in &x_ticks {
            let x = sx(t);
            let _ = write!(
                b,
                "<line class=\"pl-axis\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/><text class=\"pl-tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                TOP + ph,
                TOP + ph + 4.0,
                TOP + ph + 17.0,
                escape(&(self.x_format)(t))
            );
        }
        let _ = write!(
            b,
            "<line class=\"pl-axis\" x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{:.1}\"/><line class=\"pl-axis\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
            TOP + ph,
            TOP + ph,
            LEFT + pw,
            TOP + ph
        );
        let _ = write!(
            b,
            "<text class=\"pl-axis-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text class=\"pl-axis-label\" transform=\"translate(14,{:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            LEFT + pw / 2.0,
            h - 10.0,
            escape(&self.x_label),
            TOP + ph / 2.0,
            escape(&self.y_label)
        );
        for s in &self.series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            if pts.is_empty() {
                continue;
            }
            let label = escape(&s.label);
            let mut d = String::new();
            for (i, (x, y)) in pts.iter().enumerate() {
                let (x, y) = (sx(*x), sy(*y));
                let _ = match (i, s.step) {
                    (0, _) => write!(d, "M {x:.1} {y:.1}"),
                    (_, true) => write!(d, " H {x:.1} V {y:.1}"),
                    (_, false) => write!(d, " L {x:.1} {y:.1}"),
                };
            }
            let _ = write!(
                b,
                "<path class=\"pl-line\" data-series=\"{label}\" d=\"{d}\" stroke=\"{}\"{}/>",
                s.color,
                if s.dashed {
                    " stroke-dasharray=\"6 4\""
                } else {
                    ""
                }
            );
            let marked: Vec<(f64, f64)> = match s.markers {
                Markers::None => Vec::new(),
                Markers::All => pts.clone(),
                Markers::Last => pts.last().copied().into_iter().collect(),
            };
            for (x, y) in marked {
                let (cx, cy) = (sx(x), sy(y));
                // Values near the right edge are written to the left of their point.
                let anchor = if cx > LEFT + pw * 0.85 {
                    "end"
                } else {
                    "middle"
                };
                let _ = write!(
                    b,
                    "<circle class=\"pl-pt\" data-series=\"{label}\" data-x=\"{x}\" data-y=\"{y}\" cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{}\"/><text class=\"pl-val\" x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{}</text>",
                    s.color,
                    cy - 8.0,
                    escape(&(s.format)(y))
                );
            }
        }
        if self.series.len() > 1 {
            for (i, s) in self.series.iter().enumerate() {
                let y = TOP + 4.0 + i as f64 * 15.0;
                let x = LEFT + 10.0;
                let _ = write!(
                    b,
                    "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"2\"{}/><text class=\"pl-legend\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                    x + 20.0,
                    s.color,
                    if s.dashed {
                        " stroke-dasharray=\"6 4\""
                    } else {
                        ""
                    },
                    x + 26.0,
                    y + 4.0,
                    escape(&s.label)
                );
            }
        }
        b
    }
}

/// A standalone SVG file holding `body` (charts placed with [`Chart::group`]).
pub fn document(width: f64, height: f64, title: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\"><title>{}</title><style>{STYLE}</style><rect width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>{body}</svg>\n",
        escape(title)
    )
}

/// Ticks from 0 to at least `max`, about five of them, at 1, 2 or 5 × 10ⁿ steps.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let m = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * mag >= raw)
        .unwrap_or(10.0);
    let n = (max / (m * mag)).ceil() as usize;
    // Below 1, divided by a whole power of ten: 0.6, not 0.6000000000000001.
    let at = |i: usize| {
        if mag < 1.0 {
            i as f64 * m / (1.0 / mag).round()
        } else {
            i as f64 * m * mag
        }
    };
    (0..=n).map(at).collect()
}

/// A number in few characters: 950, 12.5k, 3.4M, 0.25.
pub fn number(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e9 {
        format!("{}G", trim(format!("{:.2}", v / 1e9)))
    } else if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

/// A speed-up: `1.85×`.
pub fn times(v: f64) -> String {
    format!("{v:.2}×")
}

/// Seconds: `0.25 s`, `12 s`.
pub fn seconds(v: f64) -> String {
    format!("{} s", number(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_the_maximum() {
        assert_eq!(nice_ticks(10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(nice_ticks(0.0), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = nice_ticks(1234.0);
        assert!(*t.last().unwrap() >= 1234.0 && t.len() <= 7, "{t:?}");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(950.0), "950");
        assert_eq!(number(12_500.0), "12.5k");
        assert_eq!(number(3_400_000.0), "3.4M");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(2.0), "2");
        assert_eq!(times(1.846), "1.85×");
    }

    #[test]
    fn points_carry_their_values_and_texts_are_escaped() {
        let mut c = Chart::new("<b>", "x & y", "\"y\"");
        c.series
            .push(Series::new("a<b", vec![(1.0, 10.0), (2.0, 19.5)], "#000"));
        let s = c.to_svg();
        assert!(s.contains("data-series=\"a&lt;b\" data-x=\"2\" data-y=\"19.5\""));
        assert!(s.contains("<title>&lt;b&gt;</title>"));
        assert!(s.contains("x &amp; y") && s.contains("&quot;y&quot;"));
        assert!(!s.contains("<b>"));
        assert_eq!(s.matches("class=\"pl-pt\"").count(), 2);
    }
}
