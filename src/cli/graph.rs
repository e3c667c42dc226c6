//! `asl graph`: a definition drawn as SVG, DOT, Mermaid or an HTML page.
use super::args::{GraphArgs, GraphFormat};
use super::{EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::asl::validate::{Options, validate_text};
use asl_engine::graph::{Format, Graph};
use std::collections::HashMap;

pub fn graph(a: GraphArgs) -> i32 {
    let text = match read_source(&a.definition) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("asl graph: {e}");
            return EXIT_USAGE;
        }
    };
    let diags = validate_text(&text, &Options::default());
    if !diags.is_empty() {
        for d in &diags {
            eprintln!("asl graph: {}:{d}", a.definition);
        }
        return EXIT_INVALID;
    }
    let def = match asl_engine::asl::validate::parse_definition(&text) {
        Ok((def, _)) => def,
        Err(d) => {
            eprintln!("asl graph: {}: {d}", a.definition);
            return EXIT_INVALID;
        }
    };
    let g = match Graph::from_definition(&def) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("asl graph: {}: {e}", a.definition);
            return EXIT_INVALID;
        }
    };
    let format = match a.format {
        GraphFormat::Svg => Format::Svg,
        GraphFormat::Dot => Format::Dot,
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Html => Format::Html,
    };
    let drawn = g.render(format, &HashMap::new());
    match &a.out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, drawn) {
                eprintln!("asl graph: {path}: {e}");
                return EXIT_USAGE;
            }
        }
        None => outln!("{}", drawn.trim_end()),
    }
    EXIT_OK
}
