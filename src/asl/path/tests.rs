use super::*;
use serde_json::json;

fn p(s: &str) -> JsonPath {
    JsonPath::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn sel(path: &str, v: &Value) -> Option<Value> {
    p(path).select(v).map(Cow::into_owned)
}

fn store() -> Value {
    json!({
        "store": {
            "book": [
                {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
                {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
                {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
                 "isbn": "0-553-21311-3", "price": 8.99},
                {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord",
                 "isbn": "0-395-19395-8", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "expensive": 10
    })
}

// ---- conformance cases (recorded on AWS) at the path level ----

fn items11() -> Value {
    json!({"items": (0..=10).map(|i| json!({"item_key": i})).collect::<Vec<_>>()})
}

#[test]
fn conformance_array_access() {
    // base__json_path_array_access-root_items_0 / -root_items_10
    assert_eq!(sel("$.items[0]", &items11()), Some(json!({"item_key": 0})));
    assert_eq!(
        sel("$.items[10]", &items11()),
        Some(json!({"item_key": 10}))
    );
}

#[test]
fn conformance_wildcard_or_slice_with_no_input() {
    // base__json_path_array_wildcard_or_slice_with_no_input-*: every one gives [].
    for path in [
        "$.item.items[1:5]",
        "$.item.items[1:5].itemValue",
        "$.item.items[:1]",
        "$.item.items[*]",
        "$.items[1:]",
        "$.items[1:].itemValue",
        "$.items[:1]",
        "$.items[:1].itemValue",
        "$.items[*]",
        "$.items[*].itemValue",
    ] {
        assert!(!p(path).is_definite(), "{path}");
        assert_eq!(sel(path, &json!({})), Some(json!([])), "{path}");
    }
}

#[test]
fn conformance_filter() {
    // base__state_pass_regex_json_path_base
    let input = json!({"users": [{"year": 1997, "status": 0}, {"year": 1998, "status": 1}]});
    assert_eq!(
        sel("$.users[?(@.status == 0)]", &input),
        Some(json!([{"year": 1997, "status": 0}]))
    );
}

#[test]
fn conformance_escape_sequences() {
    // scenarios__escape_sequence_parsing-ESCAPE_SEQUENCES_JSONPATH: the bracketed name
    // is used as written, backslash included.
    let path = "$['Test\\\"\"Name\"']";
    let input = json!({"Test\\\"\"Name\"": "Value\"\\"});
    assert_eq!(sel(path, &input), Some(json!("Value\"\\")));
    assert!(p(path).is_definite());
}

#[test]
fn conformance_missing_definite_paths() {
    // scenarios__invalid_jsonpath-*: a definite path that finds nothing is an error.
    let input = json!({"int-literal": 0});
    assert_eq!(sel("$.NoSuchInputPath", &input), None);
    assert_eq!(sel("$.no_such_jsonpath", &input), None);
    // lambda_error_handling__raise_exception_catch_output_path-root_no_such_path
    assert_eq!(sel("$.no.such.path", &input), None);
}

#[test]
fn conformance_names_with_dashes_and_context() {
    // context_object__variable, scenarios__map_state_item_selector, ...
    let path = p("$$.Execution.Input.input-value");
    assert_eq!(path.root(), &PathRoot::Context);
    let ctx = json!({"Execution": {"Input": {"input-value": 0}}});
    assert_eq!(path.select(&ctx).as_deref(), Some(&json!(0)));
    assert_eq!(
        sel("$.delivery-partner", &json!({"delivery-partner": "x"})),
        Some(json!("x"))
    );
    assert_eq!(
        sel("$.sub-values", &json!({"sub-values": [1]})),
        Some(json!([1]))
    );
    // assign__reference_assign-BASE_REFERENCE_IN_ITERATOR_OUTER_SCOPE
    assert_eq!(sel("$[2]", &json!([1, 2, 3])), Some(json!(3)));
}

// ---- parsing ----

#[test]
fn roots() {
    assert_eq!(p("$").root(), &PathRoot::Input);
    assert_eq!(p("$$").root(), &PathRoot::Context);
    assert_eq!(p("$$.Map.Item.Value").root(), &PathRoot::Context);
    assert_eq!(p("$myVar").root(), &PathRoot::Variable("myVar".into()));
    assert_eq!(
        p("$my_var2.field[0]").root(),
        &PathRoot::Variable("my_var2".into())
    );
    assert_eq!(p("$x['a']").root(), &PathRoot::Variable("x".into()));
    assert_eq!(p("$.a.b").as_str(), "$.a.b");
}

#[test]
fn parse_errors() {
    for bad in [
        "",
        "a",
        " $.a",
        "$.a\t",
        "$.a\n",
        "$. ",
        "$.a b",
        "$.",
        "$..",
        "$.a.",
        "$...a",
        "$[",
        "$['a'",
        "$['a')",
        "$[']",
        "$[]",
        "$[a]",
        "$[1",
        "$[1:2:x]",
        "$[::]",
        "$[1 2]",
        "$[--1]",
        "$[+1]",
        "$.a(",
        "$.length()",
        "$x-y",
        "$$$",
        "$a.b c",
        "$[?(@.a",
        "$[?(@.a)",
        "$[?(@.a =~ /x/)]",
        "$[?(@.a in ['x'])]",
        "$[?()]",
        "$[?(1)]",
        "$[?(@.a == )]",
        "$[?(@.a == 'x)]",
        "$[*",
        "$[* 1]",
        "$['a',]",
        "$['a' 'b']",
        "$*a",
        "$[99999999999]",
    ] {
        let e = JsonPath::parse(bad).expect_err(bad);
        assert!(e.message.contains("position"), "{bad}: {}", e.message);
        assert!(e.message.contains(bad), "{bad}: {}", e.message);
    }
}

#[test]
fn parse_accepts() {
    for ok in [
        "$",
        // Jayway trims trailing spaces before compiling (issue #10).
        "$ ",
        "$.a ",
        "$$.Execution.Name  ",
        "$.a",
        "$.a-b",
        "$.a:b",
        "$.a$b",
        "$['a b']",
        "$[\"a\"]",
        "$['a','b']",
        "$[ 'a' , 'b' ]",
        "$[0]",
        "$[-1]",
        "$[0,2]",
        "$[ 0 , 2 ]",
        "$[1:5]",
        "$[:2]",
        "$[-2:]",
        "$[1:]",
        "$[0:4:2]",
        "$.*",
        "$[*]",
        "$[ * ]",
        "$..a",
        "$..*",
        "$..[0]",
        "$..['a']",
        "$.[0]",
        "$.['a']",
        "$[?(@.price < 10)]",
        "$[?(@.isbn)]",
        "$[?(@.a == 'x' && @.b > 1)]",
        "$[?(@.a || !@.b)]",
        "$[?(@.a == \"x\")]",
        "$[?(@.a == true)]",
        "$[?(@.a != null)]",
        "$[?(@.x >= @.y)]",
        "$[?((@.a > 1) && (@.b <= -2.5e1))]",
        "$[?(@['a b'] == 1)]",
        "$[?(@.a[?(@.b)])]",
        "$[?(@.price < $.max)]",
        "$[ ?( @.a ) ]",
        "$[?(@.a===1)]",
        "$[?(@.a!==1)]",
        "$.a.b[?(@.c == 'x)')]",
    ] {
        assert!(
            JsonPath::parse(ok).is_ok(),
            "{ok}: {:?}",
            JsonPath::parse(ok)
        );
    }
}

#[test]
fn definiteness() {
    for (path, def) in [
        ("$", true),
        ("$$", true),
        ("$v", true),
        ("$.a.b", true),
        ("$['a'].b[0]", true),
        ("$[-1]", true),
        ("$.a[*]", false),
        ("$.*", false),
        ("$[0,1]", false),
        ("$['a','b']", false),
        ("$[1:2]", false),
        ("$..a", false),
        ("$[?(@.a)]", false),
    ] {
        assert_eq!(p(path).is_definite(), def, "{path}");
    }
}

// ---- selection ----

#[test]
fn definite_selection_borrows() {
    let v = store();
    let got = p("$.store.bicycle").select(&v);
    assert!(matches!(got, Some(Cow::Borrowed(_))));
    assert_eq!(sel("$", &v), Some(v.clone()));
    assert_eq!(sel("$.store.book[-1].price", &v), Some(json!(22.99)));
    assert_eq!(sel("$.store.book[4]", &v), None);
    assert_eq!(sel("$.store.book[-5]", &v), None);
    assert_eq!(sel("$.store.book.price", &v), None); // name on an array
    assert_eq!(sel("$.store[0]", &v), None); // index on an object
    assert_eq!(sel("$.expensive.x", &v), None);
    assert_eq!(sel("$.a", &json!(null)), None);
    assert_eq!(sel("$.a", &json!({"a": null})), Some(Value::Null));
}

#[test]
fn unions_and_slices() {
    let a = json!([0, 1, 2, 3, 4]);
    assert_eq!(sel("$[0,2]", &a), Some(json!([0, 2])));
    assert_eq!(sel("$[4,0,0,9,-1]", &a), Some(json!([4, 0, 0, 4])));
    assert_eq!(sel("$[1:3]", &a), Some(json!([1, 2])));
    assert_eq!(sel("$[1:99]", &a), Some(json!([1, 2, 3, 4])));
    assert_eq!(sel("$[:2]", &a), Some(json!([0, 1])));
    assert_eq!(sel("$[:-2]", &a), Some(json!([0, 1, 2])));
    assert_eq!(sel("$[-2:]", &a), Some(json!([3, 4])));
    assert_eq!(sel("$[-9:]", &a), Some(json!([0, 1, 2, 3, 4])));
    assert_eq!(sel("$[3:1]", &a), Some(json!([])));
    assert_eq!(sel("$[0:4:2]", &a), Some(json!([0, 1, 2, 3]))); // Jayway ignores a step
    // Jayway's [from:to] counts each negative position from the end.
    assert_eq!(sel("$[-2:-1]", &a), Some(json!([3])));
    assert_eq!(sel("$[1:-1]", &a), Some(json!([])));
    assert_eq!(sel("$[-2147483648:1]", &a), Some(json!([0, 1, 2, 3, 4, 0])));
    assert_eq!(sel("$[1:]", &json!({"a": 1})), Some(json!([])));
    let o = json!({"a": 1, "b": 2, "c": 3});
    assert_eq!(sel("$['c','a']", &o), Some(json!({"c": 3, "a": 1})));
    assert_eq!(sel("$['c','x']", &o), Some(json!({"c": 3})));
    assert_eq!(sel("$['c','x']", &json!([1])), None);
    assert_eq!(
        sel("$[*]['a','b']", &json!([{"a": 1, "b": 2, "c": 3}, 5])),
        Some(json!([{"a": 1, "b": 2}]))
    );
    assert_eq!(
        sel("$['a','c'].x", &json!({"a": {"x": 1}, "c": {"x": 3}})),
        Some(json!([1, 3]))
    );
}

#[test]
fn wildcards() {
    let v = store();
    assert_eq!(
        sel("$.store.book[*].author", &v)
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(sel("$.store.bicycle.*", &v), Some(json!(["red", 19.95])));
    assert_eq!(
        sel("$.store.book[*].isbn", &v),
        Some(json!(["0-553-21311-3", "0-395-19395-8"]))
    );
    // A name applied to an array inside an indefinite path matches nothing (no mapping).
    assert_eq!(sel("$.*.book.price", &v), Some(json!([])));
    assert_eq!(sel("$.*", &json!(5)), Some(json!([])));
    assert_eq!(sel("$[*]", &json!([null, 1])), Some(json!([null, 1])));
}

#[test]
fn recursive_descent() {
    let v = store();
    assert_eq!(
        sel("$..author", &v),
        Some(json!([
            "Nigel Rees",
            "Evelyn Waugh",
            "Herman Melville",
            "J. R. R. Tolkien"
        ]))
    );
    assert_eq!(
        sel("$..price", &v),
        Some(json!([8.95, 12.99, 8.99, 22.99, 19.95]))
    );
    assert_eq!(sel("$..book[2].title", &v), Some(json!(["Moby Dick"])));
    assert_eq!(sel("$..book[-1:].title", &v), Some(json!(["The Lord"])));
    // Jayway: each node's children first, then the walk goes down child by child.
    assert_eq!(
        sel("$..*", &json!({"a": {"x": 1}, "b": [2, [3]]})),
        Some(json!([{"x": 1}, [2, [3]], 1, 2, [3], 3]))
    );
    assert_eq!(
        sel("$..[0]", &json!({"a": [1, [2, 3]], "b": [4]})),
        Some(json!([1, 2, 4]))
    );
    // Jayway quirk: below `..`, a non-final index that meets an array is not applied.
    assert_eq!(
        sel("$..[0].x", &json!({"a": [{"x": 1}, {"x": 2}]})),
        Some(json!([1, 2]))
    );
    assert_eq!(
        sel("$..[?(@.price > 20)].title", &v),
        Some(json!(["The Lord"]))
    );
    assert_eq!(sel("$..a", &json!(3)), Some(json!([])));
    assert_eq!(
        sel("$..['a','b']", &json!({"a": 1, "n": {"a": 2, "b": 3}})),
        Some(json!([{"a": 2, "b": 3}]))
    );
}

#[test]
fn filters() {
    let v = store();
    let titles = |path: &str| sel(path, &v).unwrap();
    assert_eq!(
        titles("$.store.book[?(@.price < 10)].title"),
        json!(["Sayings", "Moby Dick"])
    );
    assert_eq!(
        titles("$.store.book[?(@.isbn)].title"),
        json!(["Moby Dick", "The Lord"])
    );
    assert_eq!(
        titles("$.store.book[?(!@.isbn)].title"),
        json!(["Sayings", "Sword"])
    );
    assert_eq!(
        titles("$.store.book[?(@.category == 'fiction' && @.price > 10)].title"),
        json!(["Sword", "The Lord"])
    );
    assert_eq!(
        titles("$.store.book[?(@.price < 9 || @.author == \"Evelyn Waugh\")].price"),
        json!([8.95, 12.99, 8.99])
    );
    assert_eq!(
        titles("$.store.book[?(@.price > $.expensive)].price"),
        json!([12.99, 22.99])
    );
    assert_eq!(
        titles("$.store.book[?(@.category != 'fiction')].title"),
        json!(["Sayings"])
    );
    assert_eq!(
        titles("$.store.book[?(@.missing != 'x')]")
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    assert_eq!(titles("$.store.book[?(@.missing == null)]"), json!([]));
    assert_eq!(
        titles("$.store.book[?(@.author >= 'J')].title"),
        json!(["Sayings", "The Lord"])
    );
    assert_eq!(
        titles("$.store.bicycle[?(@.color == 'red')].price"),
        json!([19.95])
    ); // filter on an object
    let rows = json!([{"a": 1, "b": 1}, {"a": 2, "b": 1}, {"a": "1"}, {"a": null}, {"a": true}, {"a": [1]}]);
    assert_eq!(sel("$[?(@.a == @.b)].a", &rows), Some(json!([1])));
    assert_eq!(sel("$[?(@.a == 1)].a", &rows), Some(json!([1, "1"])));
    assert_eq!(sel("$[?(@.a === 1)].a", &rows), Some(json!([1])));
    assert_eq!(sel("$[?(@.a == null)].a", &rows), Some(json!([null])));
    assert_eq!(sel("$[?(@.a == true)].a", &rows), Some(json!([true])));
    assert_eq!(sel("$[?(@.a > 1)].a", &rows), Some(json!([2])));
    assert_eq!(sel("$[?(@.a[0] == 1)].a", &rows), Some(json!([[1]])));
    assert_eq!(sel("$[?(@.a[*])].a", &rows), Some(json!([[1]])));
    assert_eq!(sel("$[?(@ > 1)]", &json!([1, 2, 3])), Some(json!([2, 3])));
    assert_eq!(
        sel("$[?(@ == 'it\\'s')]", &json!(["it's", "x"])),
        Some(json!(["it's"]))
    );
    assert_eq!(sel("$[?(@.a)]", &json!(5)), Some(json!([])));
}

// ---- ResultPath ----

#[test]
fn set_semantics() {
    let mut t = json!({"a": 1});
    p("$").set(&mut t, json!([1])).unwrap();
    assert_eq!(t, json!([1]));

    let mut t = json!({"a": 1});
    p("$.b.c.d").set(&mut t, json!(2)).unwrap();
    assert_eq!(t, json!({"a": 1, "b": {"c": {"d": 2}}}));
    p("$.a").set(&mut t, json!(null)).unwrap();
    assert_eq!(t["a"], Value::Null);

    let mut t = json!({"a": [1, {"x": 0}]});
    p("$.a[1].y").set(&mut t, json!(5)).unwrap();
    p("$.a[0]").set(&mut t, json!(9)).unwrap();
    p("$.a[-1].x").set(&mut t, json!(7)).unwrap();
    assert_eq!(t, json!({"a": [9, {"x": 7, "y": 5}]}));

    for (path, target) in [
        ("$.a.b", json!({"a": 5})),
        ("$.a", json!("str")),
        ("$.a", json!(null)),
        ("$.a[2]", json!({"a": [1]})),
        ("$[0]", json!({})),
        ("$.n.m[0]", json!({})),
        ("$.a[*]", json!({"a": [1]})),
        ("$..a", json!({})),
        ("$['a','b']", json!({})),
    ] {
        let mut t = target.clone();
        assert!(p(path).set(&mut t, json!(1)).is_err(), "{path}");
        assert_eq!(t, target, "{path} changed the target");
    }
}

struct TestEnv {
    input: Value,
    context: Value,
    var: Value,
}

impl Env for TestEnv {
    fn input(&self) -> &Value {
        &self.input
    }
    fn context(&self) -> &Value {
        &self.context
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        (name == "myVar").then_some(&self.var)
    }
}

#[test]
fn select_in_env() {
    let env = TestEnv {
        input: json!({"a": 1}),
        context: json!({"Map": {"Item": {"Value": 7}}}),
        var: json!({"f": [3]}),
    };
    assert_eq!(p("$.a").select_in(&env).as_deref(), Some(&json!(1)));
    assert_eq!(
        p("$$.Map.Item.Value").select_in(&env).as_deref(),
        Some(&json!(7))
    );
    assert_eq!(p("$myVar.f[0]").select_in(&env).as_deref(), Some(&json!(3)));
    assert_eq!(
        p("$myVar").select_in(&env).as_deref(),
        Some(&json!({"f": [3]}))
    );
    assert_eq!(p("$other").select_in(&env), None);
}

#[test]
fn path_len_finds_the_end() {
    assert_eq!(path_len("$.a.b, 'x')"), 5);
    assert_eq!(path_len("$['a,)'][0])"), 11);
    assert_eq!(path_len("$[?(@.a == 'x)')].b,"), 19);
    assert_eq!(path_len("$$.Execution.Id"), 15);
    assert_eq!(path_len("$v )"), 2);
    assert_eq!(path_len("x"), 0);
    assert_eq!(path_len("$['a\\'] x"), 9); // an escaped quote does not close
}
