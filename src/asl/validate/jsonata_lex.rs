//! A token-level sanity check of JSONata expressions: balanced brackets, terminated
//! strings and comments, and operands/operators in a plausible order (`10 + * 2`,
//! `420.`, `[?(@.x)]` are caught). It is not a parser: anything it cannot judge passes.

/// What the previous token left us expecting.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// an operand (start, after an operator or opening bracket)
    Operand,
    /// an operator, a closing bracket, a call/predicate/group bracket
    Operator,
}

fn closes(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// The first problem found, in words.
pub(super) fn problem(expr: &str) -> Option<String> {
    let cs: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut want = Want::Operand;
    let mut stack: Vec<char> = Vec::new();
    let mut prev_open = false;
    while i < cs.len() {
        let c = cs[i];
        let next = cs.get(i + 1).copied();
        let was_open = prev_open;
        prev_open = false;
        if c.is_whitespace() {
            i += 1;
            prev_open = was_open;
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut j = i + 2;
            while j + 1 < cs.len() && !(cs[j] == '*' && cs[j + 1] == '/') {
                j += 1;
            }
            if j + 1 >= cs.len() {
                return Some("unterminated comment".into());
            }
            i = j + 2;
            prev_open = was_open;
            continue;
        }
        let operand = |want: Want, what: &str| -> Result<Want, String> {
            if want == Want::Operator {
                Err(format!("missing operator before {what}"))
            } else {
                Ok(Want::Operator)
            }
        };
        match c {
            '"' | '\'' | '`' => {
                let mut j = i + 1;
                while j < cs.len() && cs[j] != c {
                    if cs[j] == '\\' && c != '`' {
                        j += 1;
                    }
                    j += 1;
                }
                if j >= cs.len() {
                    return Some("unterminated string".into());
                }
                want = match operand(want, "a string") {
                    Ok(w) => w,
                    Err(e) => return Some(e),
                };
                i = j + 1;
            }
            '0'..='9' => {
                let mut j = i;
                while j < cs.len() && cs[j].is_ascii_digit() {
                    j += 1;
                }
                if j < cs.len() && cs[j] == '.' && cs.get(j + 1).is_some_and(char::is_ascii_digit) {
                    j += 1;
                    while j < cs.len() && cs[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                if j < cs.len() && (cs[j] == 'e' || cs[j] == 'E') {
                    j += 1;
                    if j < cs.len() && (cs[j] == '+' || cs[j] == '-') {
                        j += 1;
                    }
                    while j < cs.len() && cs[j].is_ascii_digit() {
                        j += 1;
                    }
                }
                want = match operand(want, "a number") {
                    Ok(w) => w,
                    Err(e) => return Some(e),
                };
                i = j;
            }
            c if c == '$' || c == '_' || c.is_alphabetic() => {
                let mut j = i + 1;
                if c == '$' && cs.get(j) == Some(&'$') {
                    j += 1;
                }
                while j < cs.len() && (cs[j] == '_' || cs[j].is_alphanumeric()) {
                    j += 1;
                }
                let word: String = cs[i..j].iter().collect();
                if want == Want::Operator && matches!(word.as_str(), "and" | "or" | "in") {
                    want = Want::Operand;
                } else {
                    want = match operand(want, &format!("'{word}'")) {
                        Ok(w) => w,
                        Err(e) => return Some(e),
                    };
                }
                i = j;
            }
            '(' | '[' | '{' => {
                stack.push(c);
                want = Want::Operand;
                prev_open = true;
                i += 1;
            }
            ')' | ']' | '}' => {
                match stack.pop() {
                    Some(o) if closes(o) == c => {}
                    _ => return Some(format!("unbalanced '{c}'")),
                }
                if want == Want::Operand && !was_open {
                    return Some(format!("expression incomplete before '{c}'"));
                }
                want = Want::Operator;
                i += 1;
            }
            ',' | ';' => {
                if want == Want::Operand {
                    return Some(format!("expression incomplete before '{c}'"));
                }
                want = Want::Operand;
                i += 1;
            }
            '*' | '%' if want == Want::Operand => {
                // wildcard / descendant wildcard / parent operator
                i += if next == Some('*') { 2 } else { 1 };
                want = Want::Operator;
            }
            '-' if want == Want::Operand => i += 1,
            '/' if want == Want::Operand => {
                // regular expression literal
                let mut j = i + 1;
                while j < cs.len() && cs[j] != '/' {
                    if cs[j] == '\\' {
                        j += 1;
                    }
                    j += 1;
                }
                if j >= cs.len() {
                    return Some("unterminated regular expression".into());
                }
                j += 1;
                while j < cs.len() && cs[j].is_ascii_alphabetic() {
                    j += 1;
                }
                i = j;
                want = Want::Operator;
            }
            '|' => {
                want = Want::Operand;
                prev_open = true;
                i += 1;
            }
            '+' | '-' | '*' | '/' | '%' | '=' | '<' | '>' | '!' | '&' | '.' | '?' | ':' | '~'
            | '@' | '#' | '^' => {
                if want == Want::Operand {
                    return Some(format!("unexpected '{c}' where a value was expected"));
                }
                let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
                i += if matches!(
                    two.as_str(),
                    "!=" | "<=" | ">=" | ":=" | "~>" | ".." | "?:" | "??" | "**"
                ) {
                    2
                } else {
                    1
                };
                want = Want::Operand;
            }
            _ => return Some(format!("unexpected character '{c}'")),
        }
    }
    if let Some(o) = stack.last() {
        return Some(format!("'{o}' is never closed"));
    }
    if want == Want::Operand {
        return Some("expression ends where a value was expected".into());
    }
    None
}
