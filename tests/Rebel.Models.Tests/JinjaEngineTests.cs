// The Jinja engine's constructs one by one: whitespace control under trim_blocks/lstrip_blocks, loops, namespaces, filters,
// tests, methods, slicing, Python value semantics, and errors that name the construct and its line and column.
using Rebel.Models.Templates;

namespace Rebel.Models.Tests;

public sealed class JinjaEngineTests
{
    private static string Render(string source, object? variables = null, DateTime? now = null) =>
        JinjaTemplate.Parse(source, "test.jinja").Render(variables as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>(), now);

    private static Dictionary<string, object?> Vars(params (string Name, object? Value)[] pairs) => pairs.ToDictionary(p => p.Name, p => p.Value);

    [Theory]
    [InlineData("a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc")]
    [InlineData("a\n    {% if true %}\n    b\n    {% endif %}\nc", "a\n    b\nc")]
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("x {{- ' y ' -}} z", "x y z")]
    [InlineData("a {# note #} b", "a  b")]
    [InlineData("a\n  {# note #}\nb", "a\nb")]
    [InlineData("{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}", "  1\n  2\n")]
    [InlineData("keep {{ 'x' }}\nline", "keep x\nline")]
    [InlineData("trailing newline dropped\n", "trailing newline dropped")]
    [InlineData("a {%+ if true %}b{% endif %}", "a b")]
    [InlineData("{% if true +%}\nb{% endif %}", "\nb")]
    [InlineData("{% raw %}{{ not parsed }}{% endraw %}", "{{ not parsed }}")]
    public void Whitespace_control_matches_transformers_settings(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void Loops_expose_loop_variables_filters_else_and_unpacking()
    {
        Assert.Equal("1/0/3/2/True/False;2/1/3/1/False/False;3/2/3/0/False/True;",
            Render("{% for x in 'abc' %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }};{% endfor %}"));
        Assert.Equal("2,4,", Render("{% for x in range(1, 6) if x is even %}{{ x }},{% endfor %}"));
        Assert.Equal("none", Render("{% for x in [] %}{{ x }}{% else %}none{% endfor %}"));
        Assert.Equal("a=1 b=2 ", Render("{% for k, v in d.items() %}{{ k }}={{ v }} {% endfor %}", Vars(("d", new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 }))));
        Assert.Equal("1,3,", Render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }},{% endfor %}"));
        Assert.Equal("-a+b", Render("{% for x in ['a', 'b'] %}{{ loop.cycle('-', '+') }}{{ x }}{% endfor %}"));
    }

    [Fact]
    public void Set_in_a_loop_stays_in_the_loop_but_namespaces_carry_out()
    {
        Assert.Equal("0 3", Render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set n = n + 1 %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ n }} {{ ns.n }}"));
        Assert.Equal("[  x 3  ]", Render("{% set block %}  x {{ 1 + 2 }}  {% endset %}[{{ block }}]"));
        Assert.Equal("AB", Render("{% set a, b = 'A', 'B' %}{{ a }}{{ b }}"));
        Assert.Equal("shown", Render("{% generation %}shown{% endgeneration %}"));
        Assert.Equal("[y]", Render("{% set x | trim %}  y  {% endset %}[{{ x }}]"));
        Assert.Equal("AB", Render("{% filter upper | trim %} ab {% endfilter %}"));
    }

    [Fact]
    public void Macros_and_call_blocks()
    {
        Assert.Equal("<b>hi</b>|<i>yo</i>", Render("{% macro tag(text, name='b') %}<{{ name }}>{{ text }}</{{ name }}>{% endmacro %}{{ tag('hi') }}|{{ tag('yo', name='i') }}"));
        Assert.Equal("[inner]", Render("{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner{% endcall %}"));
    }

    [Fact]
    public void Tojson_writes_like_python_json_dumps_with_non_ascii_kept()
    {
        var value = new Dictionary<string, object?> { ["name"] = "Café \"q\" \n", ["n"] = 1.5, ["ok"] = true, ["none"] = null, ["list"] = new object?[] { 1, "日本" } };
        Assert.Equal("{\"name\": \"Café \\\"q\\\" \\n\", \"n\": 1.5, \"ok\": true, \"none\": null, \"list\": [1, \"日本\"]}", Render("{{ v | tojson }}", Vars(("v", value))));
        Assert.Equal("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}", Render("{{ {'a': [1], 'b': {}} | tojson(indent=2) }}"));
        Assert.Equal("{\"a\": 2, \"b\": 1}", Render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"));
    }

    [Theory]
    [InlineData("{{ '  a  ' | trim }}|{{ 'xxaxx' | trim('x') }}", "a|a")]
    [InlineData("{{ [1, 2, 3] | length }}{{ 'héllo' | count }}", "35")]
    [InlineData("{{ ['a', 'b'] | join('-') }}{{ missing | default('d') }}{{ '' | d('e', true) }}{{ 'f' | default('g') }}", "a-bdef")]
    [InlineData("{{ 'hello world' | title }} {{ 'hELLO' | capitalize }} {{ 'a' | upper }}{{ 'B' | lower }}", "Hello World Hello Ab")]
    [InlineData("{{ \"they're (tool-use)\" | title }}|{{ \"they're\".title() }}", "They're (Tool-Use)|They'Re")]
    [InlineData("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.4 | round(0, 'ceil') }} {{ 2.6 | round(0, 'floor') }}", "2.0 4.0 3.0 2.0")]
    [InlineData("{{ [3, 1, 2] | sort | list }} {{ [3, 1, 2] | sort(reverse=true) | first }} {{ [1, 2] | last }}", "[1, 2, 3] 3 2")]
    [InlineData("{{ [1, 1, 2] | unique | list }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }}", "[1, 2] [2, 1] cba")]
    [InlineData("{{ ['a', 'b', 'c'] | batch(2) | list }}", "[['a', 'b'], ['c']]")]
    [InlineData("{{ {'b': 1, 'a': 2} | dictsort }}", "[('a', 2), ('b', 1)]")]
    [InlineData("{{ '3' | int + 1 }} {{ '2.5' | float }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ 'x' | int }}", "4 2.5 3 2.57 0")]
    [InlineData("{{ 'a-b-a' | replace('a', 'c') }} {{ 'one two  three' | wordcount }} {{ '<&>' | e }}", "c-b-c 3 &lt;&amp;&gt;")]
    [InlineData("{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b|  a\n  b")]
    [InlineData("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3] | reject('equalto', 2) | list }}", "[1, 3] [1, 3]")]
    [InlineData("{{ {'a': 1}.items() | list }} {{ {'a': 1} | items | list }}", "[('a', 1)] [('a', 1)]")]
    public void Filters(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void Attribute_filters_over_messages()
    {
        var messages = new object?[]
        {
            new Dictionary<string, object?> { ["role"] = "system", ["content"] = "s" },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u1" },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "u2" },
        };
        var vars = Vars(("messages", messages));
        Assert.Equal("u1,u2", Render("{{ messages | selectattr('role', 'eq', 'user') | map(attribute='content') | join(',') }}", vars));
        Assert.Equal("s", Render("{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='content') | join }}", vars));
        Assert.Equal("user system", Render("{{ messages[1]['role'] }} {{ messages[0].role }}", vars));
        Assert.Equal("2", Render("{{ messages | selectattr('role', 'in', ['user']) | list | length }}", vars));
        Assert.Equal("0 0", Render("{{ none | selectattr('type', 'equalto', 'x') | list | length }} {{ none | map(attribute='a') | list | length }}"));
    }

    [Theory]
    [InlineData("{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 'a' is string }}{{ 1 is number }}{{ 1 is integer }}{{ 1.0 is integer }}", "TrueTrueTrueTrueTrueTrueFalse")]
    [InlineData("{{ true is boolean }}{{ {} is mapping }}{{ [] is iterable and nothing is iterable and not 1 is iterable }}{{ 'a' is sequence }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}", "TrueTrueTrueTrueTrueTrueTrue")]
    [InlineData("{{ 'a' is in 'cat' }}{{ 2 is equalto 2 }}{{ 2 is eq(3) }}{{ 2 is ne 3 }}{{ x is not none }}{{ true is true }}{{ 0 is false }}", "TrueTrueFalseTrueTrueTrueFalse")]
    public void Tests(string source, string expected) => Assert.Equal(expected, Render(source, Vars(("x", 1))));

    [Theory]
    [InlineData("{{ ' ab '.strip() }}|{{ 'xxabxx'.strip('x') }}|{{ '\\n\\nab'.lstrip('\\n') }}|{{ 'ab  '.rstrip() }}", "ab|ab|ab|ab")]
    [InlineData("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'bc')) }}{{ 'abc'.startswith(('x', 'y')) }}", "TrueTrueFalse")]
    [InlineData("{{ 'a,b,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ' a  b '.split() }}", "['a', 'b', 'c'] ['a', 'b,c'] ['a,b', 'c'] ['a', 'b']")]
    [InlineData("{{ 'aXbX'.replace('X', '-') }} {{ 'aXbX'.replace('X', '-', 1) }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'ab cd'.title() }}", "a-b- a-bX ABC abc Ab Cd")]
    [InlineData("{{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ '{} and {name}'.format(1, name='x') }}", "2 -1 2 1 and x")]
    [InlineData("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b', 'no') }} {{ {'a': 1}.get('b') }} {{ {'a': 1}.keys() | list }} {{ {'a': 1}.values() | list }}", "1 no None ['a'] [1]")]
    [InlineData("{% set l = [1] %}{% do l.append(2) %}{{ l }} {{ l.index(2) }}", "[1, 2] 1")]
    [InlineData("<think>x</think>answer", "<think>x</think>answer")]
    public void Methods(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ [1, 2, 3, 4][1:] }}", "[2, 3, 4]")]
    [InlineData("{{ [1, 2, 3, 4][::-1] }}", "[4, 3, 2, 1]")]
    [InlineData("{{ [1, 2, 3, 4][-2:] }}{{ [1, 2, 3, 4][:-1] }}", "[3, 4][1, 2, 3]")]
    [InlineData("{{ [1, 2, 3, 4, 5][4:0:-2] }}{{ [1, 2, 3][::2] }}{{ [1, 2][5:] }}", "[5, 3][1, 3][]")]
    [InlineData("{{ 'a🚀b'[::-1] }}{{ 'a🚀b'[1] }}{{ 'a🚀b' | length }}{{ 'hello'[-3:] }}", "b🚀a🚀3llo")]
    [InlineData("{{ [1, 2][-1] }}{{ [1, 2][5] }}", "2")]
    public void Slicing_follows_python(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}", "3 -4 2 3.5 1024 0.5 7 9")]
    [InlineData("{{ 'a' ~ 1 ~ none }} {{ 'ab' + 'cd' }} {{ [1] + [2] }} {{ 'ab' * 2 }}", "a1None abcd [1, 2] abab")]
    [InlineData("{{ '%s has %d items (%r) 100%%' % ('cart', 3.9, 'x') }} {{ 'just %s' % 'one' }}", "cart has 3 items ('x') 100% just one")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 'b' in ['a', 'b'] }} {{ 'z' not in 'abc' }} {{ 'k' in {'k': 1} }}", "True True True True True True")]
    [InlineData("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ 'yes' if 1 > 2 else 'no' }} [{{ 'shown' if false }}]", "x y True no []")]
    [InlineData("{{ none }} {{ None }} {{ True }} {{ false }} {{ 1.0 }} {{ [1, 'a', none] }} {{ {'k': 'v'} }} {{ ('a', 1) }} {{ (1,) }} {{ (1, 2)[1:] }} {{ (1, 2) == [1, 2] }}", "None None True False 1.0 [1, 'a', None] {'k': 'v'} ('a', 1) (1,) (2,) False")]
    [InlineData("{{ 'tab\\there' }} {{ \"q'uote\" }} {{ 'q\\'uote' }} {{ '\\u00e9' }} {{ 'back\\\\slash' }}", "tab\there q'uote q'uote é back\\slash")]
    [InlineData("[{{ undefined_name }}][{{ undefined_name.attr.deeper }}][{{ 'x' if not undefined_name }}][{% for x in undefined_name %}never{% endfor %}]", "[][][x][]")]
    public void Expressions_have_python_semantics(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void Strftime_now_formats_the_given_clock()
    {
        var now = new DateTime(2024, 7, 26, 14, 5, 9);
        Assert.Equal("26 Jul 2024 14:05:09 | July Friday 02PM", Render("{{ strftime_now('%d %b %Y %H:%M:%S') }} | {{ strftime_now('%B %A %I%p') }}", now: now));
    }

    [Fact]
    public void Raise_exception_fails_with_the_templates_message_and_place()
    {
        var e = Assert.Throws<TemplateException>(() => Render("line one\n{{ raise_exception('Roles must alternate') }}"));
        Assert.True(e.RaisedByTemplate);
        Assert.Contains("Roles must alternate", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Theory]
    [InlineData("a\n{% whilst x %}", "test.jinja:2:4", "unsupported tag '{% whilst %}'")]
    [InlineData("{% for x in y %}\n{{ x }}", "test.jinja:1:4", "'{% for %}' is never closed")]
    [InlineData("{{ x | frobnicate }}", "test.jinja:1:8", "unsupported filter 'frobnicate'")]
    [InlineData("ok\n  {{ x is frobbed }}", "test.jinja:2:8", "unsupported test 'is frobbed'")]
    [InlineData("{{ nothing_here() }}", "test.jinja:1:16", "'nothing_here' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "test.jinja:1:8", "unsupported operand types for +: string and integer")]
    [InlineData("{{ x ]] }}", "test.jinja:1:6", "expected '}}'")]
    [InlineData("{{ 'open }}", "test.jinja:1:4", "unterminated string literal")]
    [InlineData("{% for x in [1] recursive %}{% endfor %}", "test.jinja:1:17", "unsupported 'recursive' for loop")]
    [InlineData("\n\n  {% for x in none %}{% endfor %}", "test.jinja:3:15", "none is not iterable")]
    public void Errors_name_the_construct_and_its_line(string source, string place, string message)
    {
        var e = Assert.Throws<TemplateException>(() => Render(source));
        Assert.StartsWith(place + ":", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
