from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'index.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'index.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_head(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    pass
    yield '<meta property="og:type" content="website">\n<meta property="og:title" content="'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield '">\n<meta property="og:description" content="'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))
    yield '">\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover_url'):
        pass
        yield '<meta property="og:image" content="'
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover_url'))
        yield '">\n'

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    l_0_root = resolve('root')
    l_0_entries = resolve('entries')
    pass
    yield '<section class="show" aria-labelledby="show-title">\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover'):
        pass
        yield '<img class="cover" src="'
        yield escape((environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover') if ('://' in environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover')) else markup_join(((undefined(name='root') if l_0_root is missing else l_0_root), environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'cover'), ))))
        yield '" alt="Cover art of '
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
        yield '" width="240" height="240">\n'
    yield '<div class="show-text">\n<h1 id="show-title">'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield '</h1>\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'):
        pass
        yield '<p class="show-description">'
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))
        yield '</p>\n'
    yield '<nav class="subscribe" aria-label="Subscribe">\n<h2 class="visually-hidden">Subscribe</h2>\n<ul>\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'):
        pass
        yield '<li><a class="button" href="'
        yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'))
        yield '" type="application/rss+xml">Podcast feed (RSS)</a></li>\n'
    yield '<li><a class="button" href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'atom_feed'))
    yield '" type="application/atom+xml">Atom feed</a></li>\n</ul>\n</nav>\n</div>\n</section>\n<section class="episodes" aria-labelledby="episodes-title">\n<h2 id="episodes-title">Episodes</h2>\n'
    if (undefined(name='entries') if l_0_entries is missing else l_0_entries):
        pass
        yield '<ol class="episode-list" reversed>\n'
        for l_1_entry in (undefined(name='entries') if l_0_entries is missing else l_0_entries):
            _loop_vars = {}
            pass
            yield escape(l_1_entry)
            yield '\n'
        l_1_entry = missing
        yield '</ol>\n'
    else:
        pass
        yield '<p>No episodes yet.</p>\n'
    yield '</section>\n'

blocks = {'head': block_head, 'content': block_content}
debug_info = '1=12&2=17&4=27&5=29&6=31&7=34&10=37&12=49&13=52&16=57&17=59&18=62&23=65&24=68&26=72&33=75&35=78&36=81'