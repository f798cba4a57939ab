from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'base.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_site = resolve('site')
    l_0_page_url = resolve('page_url')
    l_0_root = resolve('root')
    pass
    yield '<!DOCTYPE html>\n<html lang="'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'language'))
    yield '">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
    yield from context.blocks['title'][0](context)
    yield '</title>\n<meta name="description" content="'
    yield from context.blocks['description'][0](context)
    yield '">\n'
    if (undefined(name='page_url') if l_0_page_url is missing else l_0_page_url):
        pass
        yield '<link rel="canonical" href="'
        yield escape((undefined(name='page_url') if l_0_page_url is missing else l_0_page_url))
        yield '">\n'
    yield '<link rel="icon" href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield 'favicon.svg" type="image/svg+xml">\n<link rel="stylesheet" href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield 'style.css">\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'):
        pass
        yield '<link rel="alternate" type="application/rss+xml" title="'
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
        yield ' (podcast)" href="'
        yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'))
        yield '">\n'
    yield '<link rel="alternate" type="application/atom+xml" title="'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield ' (Atom)" href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'atom_feed'))
    yield '">\n'
    yield from context.blocks['head'][0](context)
    yield '</head>\n<body>\n<a class="skip-link" href="#content">Skip to content</a>\n<header class="site-header">\n<p class="site-name"><a href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield 'index.html">'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield '</a></p>\n</header>\n<main id="content">\n'
    yield from context.blocks['content'][0](context)
    yield '</main>\n<footer class="site-footer">\n<p>\n'
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'author'):
        pass
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'author'))
        yield ' · '
    if environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'):
        pass
        yield '<a href="'
        yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
        yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'podcast_feed'))
        yield '">Podcast feed</a> ·'
    yield '<a href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'atom_feed'))
    yield '">Atom feed</a>\n</p>\n</footer>\n'
    yield from context.blocks['scripts'][0](context)
    yield '</body>\n</html>\n'

def block_title(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))

def block_head(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass

def block_content(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass

def block_scripts(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass

blocks = {'title': block_title, 'description': block_description, 'head': block_head, 'content': block_content, 'scripts': block_scripts}
debug_info = '2=15&6=17&7=19&8=21&9=24&11=27&12=29&13=31&14=34&16=40&17=45&22=47&25=51&29=53&30=57&31=64&34=67&6=70&7=81&17=92&25=101&34=110'