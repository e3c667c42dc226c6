//! The graph as SVG, laid out by `layout-rs` (layered, top to bottom, with edge
//! crossings reduced). A Map's or Parallel's sub-graphs are laid out first; the state
//! is then a box of their size in its own scope's layout, and they are drawn inside it.
//!
//! Every state is a `<g class="state st-STATUS" data-state="NAME">`, so a page can
//! recolour it; every text is escaped.
use super::{EdgeKind, Graph, Node, NodeKind, Scope, Status};
use layout::core::base::Orientation;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Text escaped for XML (element content and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Kept through attribute-value normalisation (a raw tab or newline in an
            // attribute reads back as a space).
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const CHAR_WIDTH: f64 = 7.2;
const HEADER: f64 = 34.0;
const PAD: f64 = 16.0;
const MARGIN: f64 = 12.0;
const MAX_LABEL: usize = 48;

/// A laid-out scope: its size and its SVG, with (0, 0) at its top left.
struct Drawn {
    width: f64,
    height: f64,
    body: String,
}

/// What layout-rs hands its backend: only the edges are kept (nodes are drawn from
/// their positions, so that they carry our classes and escaped labels).
/// An edge as drawn: its Bézier path, its class and its text.
type DrawnEdge = (Vec<(Point, Point)>, String, String);

#[derive(Default)]
struct Edges {
    paths: Vec<DrawnEdge>,
    /// Edge labels: layout-rs gives a labelled edge a node of its own (to make room
    /// for the text) and draws the text there.
    labels: Vec<(Point, String)>,
}

impl RenderBackend for Edges {
    fn draw_rect(
        &mut self,
        _: Point,
        _: Point,
        _: &StyleAttr,
        _: Option<String>,
        _: Option<ClipHandle>,
    ) {
    }
    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}
    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}
    fn draw_text(&mut self, at: Point, text: &str, _: &StyleAttr) {
        if !text.is_empty() {
            self.labels.push((at, text.to_string()));
        }
    }
    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        _head: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        text: &str,
    ) {
        self.paths.push((
            path.to_vec(),
            properties.unwrap_or_default(),
            text.to_string(),
        ));
    }
    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

fn label_width(n: &Node) -> f64 {
    let chars = n
        .name
        .chars()
        .count()
        .min(MAX_LABEL)
        .max(n.detail.chars().count().min(MAX_LABEL));
    (chars as f64 * CHAR_WIDTH + 28.0).max(96.0)
}

/// The scope's sub-graphs side by side (a Parallel's branches), with their offsets.
fn draw_children(n: &Node, statuses: &HashMap<String, Status>) -> (f64, f64, Vec<(f64, Drawn)>) {
    let mut x = 0.0;
    let mut height: f64 = 0.0;
    let mut parts = Vec::new();
    for c in &n.children {
        let d = draw_scope(c, statuses);
        height = height.max(d.height);
        let w = d.width;
        parts.push((x, d));
        x += w + PAD;
    }
    ((x - PAD).max(0.0), height, parts)
}

fn draw_scope(scope: &Scope, statuses: &HashMap<String, Status>) -> Drawn {
    if scope.nodes.is_empty() {
        return Drawn {
            width: 40.0,
            height: 20.0,
            body: String::new(),
        };
    }
    let mut vg = VisualGraph::new(Orientation::TopToBottom);
    let mut handles = HashMap::new();
    let mut inner = HashMap::new();
    for n in &scope.nodes {
        let size = match n.kind {
            NodeKind::Start | NodeKind::End => Point::new(64.0, 30.0),
            _ if !n.children.is_empty() => {
                let (w, h, parts) = draw_children(n, statuses);
                inner.insert(n.id.clone(), parts);
                Point::new((w + 2.0 * PAD).max(label_width(n)), h + HEADER + PAD)
            }
            _ => Point::new(
                label_width(n),
                if n.detail.is_empty() { 32.0 } else { 46.0 },
            ),
        };
        let elem = Element::create(
            ShapeKind::Box(String::new()),
            StyleAttr::simple(),
            Orientation::TopToBottom,
            size,
        );
        handles.insert(n.id.as_str(), vg.add_node(elem));
    }
    // One edge per pair of states (layout-rs wants no parallel edges): the labels of
    // several rules leading to the same state are joined.
    let mut merged: Vec<(&str, &str, EdgeKind, String)> = Vec::new();
    for e in &scope.edges {
        let label = super::truncate(&e.label, MAX_LABEL);
        match merged
            .iter_mut()
            .find(|(f, t, _, _)| *f == e.from && *t == e.to)
        {
            Some(m) => {
                if !label.is_empty() {
                    m.3 = if m.3.is_empty() {
                        label
                    } else {
                        format!("{} / {label}", m.3)
                    };
                }
            }
            None => merged.push((&e.from, &e.to, e.kind, label)),
        }
    }
    let mut label_class: HashMap<String, &str> = HashMap::new();
    for (from_id, to_id, kind, label) in &merged {
        let (Some(&from), Some(&to)) = (handles.get(from_id), handles.get(to_id)) else {
            continue;
        };
        label_class.entry(label.clone()).or_insert(kind.class());
        let e = (kind, label, from_id, to_id);
        let style = match e.0 {
            EdgeKind::Catch | EdgeKind::Retry => LineStyleKind::Dashed,
            _ => LineStyleKind::Normal,
        };
        let mut look = StyleAttr::simple();
        look.font_size = 11;
        let mut arrow = Arrow::new(
            LineEndKind::None,
            LineEndKind::Arrow,
            style,
            e.1,
            &look,
            &None,
            &None,
        );
        // The class, source and target travel through layout-rs to the backend.
        arrow.properties = Some(format!("{}\u{1f}{}\u{1f}{}", e.0.class(), e.2, e.3));
        vg.add_edge(arrow, from, to);
    }
    let mut edges = Edges::default();
    // layout-rs asserts its invariants; a graph it can't lay out is drawn unplaced
    // rather than taking the process down.
    let laid_out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        vg.do_it(false, false, false, &mut edges);
    }))
    .is_ok();
    if !laid_out {
        edges.paths.clear();
        edges.labels.clear();
    }
    // Boxes of the nodes, then the extent of everything.
    let mut boxes = Vec::new();
    for (i, n) in scope.nodes.iter().enumerate() {
        let h = handles[n.id.as_str()];
        let (tl, br) = if laid_out {
            vg.pos(h).bbox(false)
        } else {
            let size = vg.pos(h).size(false);
            let top = i as f64 * 70.0;
            (Point::new(0.0, top), Point::new(size.x, top + size.y))
        };
        boxes.push((n, tl, br));
    }
    let mut min = Point::new(f64::MAX, f64::MAX);
    let mut max = Point::new(f64::MIN, f64::MIN);
    let mut grow = |p: Point| {
        min = Point::new(min.x.min(p.x), min.y.min(p.y));
        max = Point::new(max.x.max(p.x), max.y.max(p.y));
    };
    for (_, tl, br) in &boxes {
        grow(*tl);
        grow(*br);
    }
    for (path, _, _) in &edges.paths {
        for (a, b) in path {
            grow(*a);
            grow(*b);
        }
    }
    for (at, text) in &edges.labels {
        let half = text.chars().count() as f64 * 3.1;
        grow(Point::new(at.x - half, at.y - 8.0));
        grow(Point::new(at.x + half, at.y + 8.0));
    }
    let dx = MARGIN - min.x;
    let dy = MARGIN - min.y;
    let mut body = String::new();
    for (path, properties, text) in &edges.paths {
        if path.len() < 2 {
            continue;
        }
        let mut parts = properties.split('\u{1f}');
        let class = parts.next().unwrap_or("next");
        let from = parts.next().unwrap_or("");
        let to = parts.next().unwrap_or("");
        let p = |q: Point| format!("{:.1} {:.1}", q.x + dx, q.y + dy);
        let mut d = format!(
            "M {} C {}, {}, {}",
            p(path[0].0),
            p(path[0].1),
            p(path[1].0),
            p(path[1].1)
        );
        for (a, b) in path.iter().skip(2) {
            let _ = write!(d, " S {}, {}", p(*a), p(*b));
        }
        let _ = write!(
            body,
            "<path class=\"edge edge-{class}\" data-from=\"{}\" data-to=\"{}\" d=\"{d}\" marker-end=\"url(#arrowhead)\"/>",
            escape(from),
            escape(to)
        );
        if !text.is_empty() {
            let mid = path[path.len() / 2].0;
            let _ = write!(
                body,
                "<text class=\"edge-label edge-label-{class}\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                mid.x + dx + 4.0,
                mid.y + dy,
                escape(text)
            );
        }
    }
    for (at, text) in &edges.labels {
        let class = label_class.get(text).copied().unwrap_or("next");
        let _ = write!(
            body,
            "<text class=\"edge-label edge-label-{class}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            at.x + dx,
            at.y + dy + 4.0,
            escape(text)
        );
    }
    let mut parts = inner;
    for (n, tl, br) in boxes {
        let (x, y) = (tl.x + dx, tl.y + dy);
        let (w, h) = (br.x - tl.x, br.y - tl.y);
        let status = statuses.get(&n.name).copied().unwrap_or_default();
        let (kind_class, ty) = match &n.kind {
            NodeKind::Start => ("marker", "Start"),
            NodeKind::End => ("marker", "End"),
            NodeKind::Reader => ("io", "ItemReader"),
            NodeKind::Writer => ("io", "ResultWriter"),
            NodeKind::State(t) => ("state", t.as_str()),
        };
        let _ = write!(
            body,
            "<g class=\"{kind_class} st-{}\" data-state=\"{}\" data-type=\"{}\" transform=\"translate({x:.1},{y:.1})\">",
            if kind_class == "state" {
                status.class()
            } else {
                "none"
            },
            escape(&n.name),
            escape(ty),
        );
        let name = escape(&super::truncate(&n.name, MAX_LABEL));
        let detail = escape(&super::truncate(&n.detail, MAX_LABEL));
        match parts.remove(&n.id) {
            Some(children) => {
                let _ = write!(
                    body,
                    "<rect class=\"box compound\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"8\"/>"
                );
                let _ = write!(
                    body,
                    "<text class=\"name\" x=\"{PAD}\" y=\"15\">{name}</text>"
                );
                let _ = write!(
                    body,
                    "<text class=\"detail\" x=\"{PAD}\" y=\"28\">{detail}</text>"
                );
                let inner_w: f64 = children.iter().map(|(_, d)| d.width).sum::<f64>()
                    + PAD * (children.len().saturating_sub(1)) as f64;
                let left = (w - inner_w) / 2.0;
                for (off, d) in children {
                    let _ = write!(
                        body,
                        "<g class=\"scope\" transform=\"translate({:.1},{HEADER:.1})\"><rect class=\"scope-box\" width=\"{:.1}\" height=\"{:.1}\" rx=\"6\"/>{}</g>",
                        left + off,
                        d.width,
                        d.height,
                        d.body
                    );
                }
            }
            None if kind_class == "marker" => {
                let _ = write!(
                    body,
                    "<rect class=\"box\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"15\"/><text class=\"name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{name}</text>",
                    w / 2.0,
                    h / 2.0 + 4.0
                );
            }
            None => {
                let _ = write!(
                    body,
                    "<rect class=\"box\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"6\"/>"
                );
                let name_y = if detail.is_empty() {
                    h / 2.0 + 4.0
                } else {
                    19.0
                };
                let _ = write!(
                    body,
                    "<text class=\"name\" x=\"{:.1}\" y=\"{name_y:.1}\" text-anchor=\"middle\">{name}</text>",
                    w / 2.0
                );
                if !detail.is_empty() {
                    let _ = write!(
                        body,
                        "<text class=\"detail\" x=\"{:.1}\" y=\"35\" text-anchor=\"middle\">{detail}</text>",
                        w / 2.0
                    );
                }
            }
        }
        body.push_str("</g>");
    }
    Drawn {
        width: max.x - min.x + 2.0 * MARGIN,
        height: max.y - min.y + 2.0 * MARGIN,
        body,
    }
}

/// The styles of the graph (status colours included), shared with the pages.
pub const STYLE: &str = r#"
.state > .box, .io > .box { fill: #ffffff; stroke: #8d99a6; stroke-width: 1.5; }
.marker > .box { fill: #eef0f2; stroke: #8d99a6; stroke-width: 1.5; }
.io > .box { fill: #f5f0ff; }
.compound { fill: #fbfcfd !important; }
.scope-box { fill: none; stroke: #c9d1d9; stroke-dasharray: 4 3; }
.name { font: 600 12px system-ui, sans-serif; fill: #16191f; }
.detail { font: 11px system-ui, sans-serif; fill: #5f6b7a; }
.edge { fill: none; stroke: #5f6b7a; stroke-width: 1.5; }
.edge-catch { stroke: #d13212; stroke-dasharray: 5 4; }
.edge-retry { stroke: #e07941; stroke-dasharray: 3 3; }
.edge-label { font: 10px system-ui, sans-serif; fill: #414d5c; }
.edge-label-catch { fill: #d13212; }
.edge-label-retry { fill: #b35a1f; }
.st-in-progress > .box { fill: #dbeafe; stroke: #0972d3; stroke-width: 2.5; }
.st-succeeded > .box { fill: #e9f7e9; stroke: #037f0c; stroke-width: 2.5; }
.st-failed > .box { fill: #fde8e8; stroke: #d91515; stroke-width: 2.5; }
.st-caught > .box { fill: #fff4e0; stroke: #c77c02; stroke-width: 2.5; }
#arrowhead path { fill: #5f6b7a; }
"#;

/// The whole graph as a standalone SVG document, states coloured by `statuses`.
pub fn to_svg(g: &Graph, statuses: &HashMap<String, Status>) -> String {
    let d = draw_scope(&g.top, statuses);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"asl-graph\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.1} {h:.1}\"><style>{STYLE}</style><defs><marker id=\"arrowhead\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>{}</svg>\n",
        d.body,
        w = d.width,
        h = d.height,
    )
}
