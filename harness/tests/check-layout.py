#!/usr/bin/env python3
"""check-layout.py: the architecture rules of harness/ARCHITECTURE.md, checked on the sources.

  - includes go one way: a folder includes only its own or lower folders' headers (RANK below);
  - no include circle between modules (a module is NAME.c with NAME.h);
  - no source file over 1000 lines, no function over 150 lines;
  - the core (harness/src, outside core/registry.c) never compares a workload's or launcher's name;
  - an axis is known by at most 5 source files (parent_rss_mb, the issue's example);
  - calls go one way too: no object file calls a function defined in a higher folder (read with nm
    from the build's objects, --obj DIR, default build/obj; core/registry.c, the one registry, is
    the exception: it names every plug-in).
Prints every breach as FILE:LINE: problem and exits 1 when there is one. --only RULE runs one rule
(includes, circles, size, names, axis, calls); --root DIR checks another harness/ folder."""
import os, re, sys

# the harness/ folder checked: this script's parent, or --root DIR (the test plants breaches in a copy)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
if '--root' in sys.argv:
    ROOT = sys.argv[sys.argv.index('--root') + 1]
OBJ = os.path.join(ROOT, '..', 'build', 'obj')
if '--obj' in sys.argv:
    OBJ = sys.argv[sys.argv.index('--obj') + 1]
# lower ranks are included by higher ones, never the other way
RANK = {'core': 0, 'sys': 1, 'experiment': 2, 'monitor': 2, 'results': 2, 'workloads': 3,
        'pool': 4, 'launch': 5, 'run': 6, 'analysis': 7, 'plot': 8, 'report': 9, 'cli': 10}
MAX_FILE, MAX_FUNC, MAX_AXIS_FILES = 1000, 150, 5

def sources():
    for top in ('src', 'workloads', 'launch'):
        for dp, _, fs in os.walk(os.path.join(ROOT, top)):
            for f in sorted(fs):
                if f.endswith(('.c', '.h', '.cu')):
                    yield os.path.join(dp, f)

def rel(p):
    return os.path.relpath(p, os.path.join(ROOT, '..'))

def folder(p):
    parts = os.path.relpath(p, ROOT).split(os.sep)
    return parts[1] if parts[0] == 'src' else parts[0]

def includes(p):
    with open(p, errors='replace') as fh:
        for i, line in enumerate(fh, 1):
            m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
            if m:
                yield i, m.group(1)

def check_includes(out):
    for p in sources():
        me = folder(p)
        for i, h in includes(p):
            top = h.split('/')[0] if '/' in h else me
            if top in RANK and me in RANK and RANK[top] > RANK[me]:
                out.append('%s:%d: %s/ includes %s, a higher folder' % (rel(p), i, me, h))

def check_circles(out):
    graph = {}
    for p in sources():
        mod = os.path.splitext(os.path.basename(p))[0]
        for _, h in includes(p):
            dep = os.path.splitext(os.path.basename(h))[0]
            if dep != mod:
                graph.setdefault(mod, set()).add(dep)
    seen, stack, found = set(), [], set()
    def visit(m):
        if m in stack:
            cyc = stack[stack.index(m):] + [m]
            key = frozenset(cyc)
            if key not in found:
                found.add(key)
                out.append('include circle: %s' % ' -> '.join(cyc))
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            visit(d)
        stack.pop()
    for m in sorted(graph):
        visit(m)

def check_size(out):
    for p in sources():
        with open(p, errors='replace') as fh:
            lines = fh.read().split('\n')
        if len(lines) - 1 > MAX_FILE:
            out.append('%s:1: %d lines (at most %d)' % (rel(p), len(lines) - 1, MAX_FILE))
        start = None
        for i, line in enumerate(lines, 1):
            if line.startswith('{') and start is None:
                start = i
                # the name: the nearest line above with '(' at a word
                j = i - 2
                while j > 0 and '(' not in lines[j]:
                    j -= 1
                m = re.search(r'(\w+)\s*\(', lines[j])
                name = m.group(1) if m else '?'
            elif line.startswith('}') and start is not None:
                if i - start + 1 > MAX_FUNC and not line.startswith('};'):
                    out.append('%s:%d: function %s is %d lines (at most %d)' %
                               (rel(p), start, name, i - start + 1, MAX_FUNC))
                start = None

def plugin_names():
    names = set()
    for top in ('workloads', 'launch'):
        for dp, _, fs in os.walk(os.path.join(ROOT, top)):
            for f in fs:
                if not f.endswith('.c'):
                    continue
                s = open(os.path.join(dp, f), errors='replace').read()
                for m in re.finditer(r'struct sl_(?:workload|launcher)_ops\s+\w+\s*=\s*\{(.*?)\n\};', s, re.S):
                    n = re.search(r'^\s*\.name\s*=\s*"([^"]+)"', m.group(1), re.M)
                    if n:
                        names.add(n.group(1))
    return names

def check_names(out):
    names = plugin_names()
    if not names:
        out.append('no workload or launcher names found (the check would pass vacuously)')
        return
    pat = re.compile(r'(?:str(?:n|case)?cmp|streq|strstr)\s*\([^;]*"(%s)"' % '|'.join(map(re.escape, sorted(names))))
    for p in sources():
        if folder(p) in ('workloads', 'launch') or p.endswith(os.path.join('core', 'registry.c')):
            continue
        with open(p, errors='replace') as fh:
            for i, line in enumerate(fh, 1):
                m = pat.search(line)
                if m:
                    out.append('%s:%d: the core compares the plug-in name "%s"' % (rel(p), i, m.group(1)))

def check_axis(out, axis='parent_rss_mb'):
    users = [rel(p) for p in sources() if axis in open(p, errors='replace').read()]
    if len(users) > MAX_AXIS_FILES:
        out.append('axis %s is known by %d source files (at most %d): %s' %
                   (axis, len(users), MAX_AXIS_FILES, ' '.join(users)))

def check_calls(out):
    import subprocess
    top = os.path.join(OBJ, 'harness')
    if not os.path.isdir(top):
        out.append('%s: no object files to read the calls from (build first)' % top)
        return
    defs, undefs = {}, []
    for dp, _, fs in os.walk(top):
        for f in sorted(fs):
            if not f.endswith('.o'):
                continue
            o = os.path.join(dp, f)
            src = os.path.join(ROOT, os.path.relpath(o, top))[:-2] + '.c'
            if not os.path.exists(src):
                continue              # a stale object of a deleted source: not linked any more
            res = subprocess.run(['nm', '-P', o], capture_output=True, text=True)
            for line in res.stdout.splitlines():
                parts = line.split()
                if len(parts) < 2:
                    continue
                if parts[1] == 'U':
                    undefs.append((src, parts[0]))
                elif parts[1] in 'TDBR':
                    defs[parts[0]] = src
    for src, sym in sorted(undefs):
        if sym not in defs or src.endswith(os.path.join('core', 'registry.c')):
            continue
        me, them = folder(src), folder(defs[sym])
        if me in RANK and them in RANK and RANK[them] > RANK[me]:
            out.append('%s: %s/ calls %s, defined in %s (a higher folder)' % (rel(src), me, sym, rel(defs[sym])))

RULES = {'includes': check_includes, 'circles': check_circles, 'size': check_size,
         'names': check_names, 'axis': check_axis, 'calls': check_calls}

def main(argv):
    only = argv[argv.index('--only') + 1] if '--only' in argv else None
    out = []
    for name, rule in RULES.items():
        if only in (None, name):
            rule(out)
    for line in out:
        print(line)
    return 1 if out else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
