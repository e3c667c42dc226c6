//! `asl explain`: the plan in words.

use super::Plan;
use crate::asl::model::{StateKind, StateMachine, Transition};
use std::fmt::Write;

pub fn explain(plan: &Plan) -> String {
    let mut out = String::new();
    scope(plan, &plan.machine, "", 0, &mut out);
    out
}

fn scope(plan: &Plan, sm: &StateMachine, ptr: &str, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let start = &sm.state(sm.start_at).name;
    let _ = writeln!(out, "{pad}StartAt {start}");
    for st in &sm.states {
        let sptr = format!(
            "{ptr}/States/{}",
            st.name.replace('~', "~0").replace('/', "~1")
        );
        let next = match st.transition {
            Transition::Next(n) => format!(" -> {}", sm.state(n).name),
            Transition::End => " -> End".to_string(),
            Transition::None => String::new(),
        };
        let _ = writeln!(
            out,
            "{pad}[{}] {} ({}){next}",
            sm.by_name[&st.name].0,
            st.name,
            st.type_name()
        );
        match &st.kind {
            StateKind::Choice(c) => {
                for b in &c.choices {
                    let _ = writeln!(out, "{pad}    rule -> {}", sm.state(b.next).name);
                }
                if let Some(d) = c.default {
                    let _ = writeln!(out, "{pad}    default -> {}", sm.state(d).name);
                }
            }
            StateKind::Map(m) => {
                match plan.map_plan(m) {
                    Some(mp) => {
                        let _ = writeln!(out, "{pad}    strategy: {} ({sptr})", mp.strategy.name());
                        let _ = writeln!(out, "{pad}    why: {}", mp.reason);
                    }
                    None => {
                        let _ = writeln!(out, "{pad}    strategy: decided at run time");
                    }
                }
                let _ = writeln!(out, "{pad}    item processor:");
                scope(
                    plan,
                    &m.processor,
                    &format!("{sptr}/ItemProcessor"),
                    depth + 3,
                    out,
                );
            }
            StateKind::Parallel(p) => {
                for (i, b) in p.branches.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{pad}    branch {i} (crossbeam scoped thread, or rayon when inside a parallel Map):"
                    );
                    scope(plan, b, &format!("{sptr}/Branches/{i}"), depth + 3, out);
                }
            }
            _ => {}
        }
    }
}
