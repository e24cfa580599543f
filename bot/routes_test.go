package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"guichet.dev/guichet"
)

// TestEveryEmittedIDHasARoute reads the source: every button action passed to ActionButton,
// every dialog CallbackID the bot sets and every guichet.OutboxKind constant the domain
// declares must have a handler in a Bot on a store that only satisfies Store, so that no
// button, dialog or message is left unanswered whatever the store.
func TestEveryEmittedIDHasARoute(t *testing.T) {
	actions, dialogs := emittedIDs(t, ".")
	kinds := outboxKinds(t, "..")
	require.NotEmpty(t, actions)
	require.NotEmpty(t, dialogs)
	require.NotEmpty(t, kinds)

	b := unitBot(t, nil, nil, time.Date(2011, 3, 1, 10, 0, 0, 0, time.UTC))
	for _, a := range actions {
		require.Contains(t, b.actions, a, "button action %q has no route in routes.go", a)
	}
	for _, d := range dialogs {
		require.NotNil(t, b.dialogHandler(d), "dialog %q has no route in routes.go", d)
	}
	for _, k := range kinds {
		require.Contains(t, b.outbox, guichet.OutboxKind(k), "outbox kind %q has no route in routes.go", k)
	}
	// And nothing is routed that nothing emits.
	require.Len(t, b.actions, len(actions))
	require.Len(t, b.dialogs, len(dialogs))
	require.Len(t, b.outbox, len(kinds))
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	require.NoError(t, err)
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	return files
}

// stringConsts returns the string constants declared in files, by name.
func stringConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
			return true
		})
	}
	return out
}

// emittedIDs returns the actions passed to ActionButton and the CallbackIDs set in the
// package in dir, each resolved to its constant's value; an argument that is not a constant
// of the package fails the test (the route could not be checked).
func emittedIDs(t *testing.T, dir string) (actions, dialogs []string) {
	t.Helper()
	files := parseDir(t, dir)
	consts := stringConsts(files)
	resolve := func(e ast.Expr, what string) string {
		id, ok := e.(*ast.Ident)
		require.True(t, ok, "%s is not a named constant: %#v", what, e)
		v, ok := consts[id.Name]
		require.True(t, ok, "%s %s is not a string constant of the package", what, id.Name)
		return v
	}
	seen := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ActionButton" && len(n.Args) == 5 {
					if v := resolve(n.Args[1], "button action"); !seen["a"+v] {
						seen["a"+v] = true
						actions = append(actions, v)
					}
				}
			case *ast.KeyValueExpr:
				// A request's CallbackId (server.go) is read, not emitted: only CallbackID.
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "CallbackID" {
					if _, isSel := n.Value.(*ast.SelectorExpr); isSel {
						return true // copied from a request or a guichet.Dialog
					}
					if v := resolve(n.Value, "dialog callback"); !seen["d"+v] {
						seen["d"+v] = true
						dialogs = append(dialogs, v)
					}
				}
			}
			return true
		})
	}
	sort.Strings(actions)
	sort.Strings(dialogs)
	return actions, dialogs
}

// outboxKinds returns the values of the guichet.OutboxKind constants declared in dir.
func outboxKinds(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range parseDir(t, dir) {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if typ, ok := vs.Type.(*ast.Ident); ok && typ.Name == "OutboxKind" {
				for _, v := range vs.Values {
					lit := v.(*ast.BasicLit)
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, s)
				}
			}
			return true
		})
	}
	sort.Strings(out)
	return out
}
