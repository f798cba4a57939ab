from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'index_entry.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_root = resolve('root')
    l_0_episode = resolve('episode')
    try:
        t_1 = environment.filters['urlencode']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'urlencode' found.")
    pass
    yield '<li class="episode-item">\n<article>\n<h3><a href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield 'episodes/'
    yield escape(t_1(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'slug')))
    yield '/">'
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'title'))
    yield '</a></h3>\n<p class="meta">\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'date_iso'):
        pass
        yield '<time datetime="'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'date_iso'))
        yield '">'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'date_label'))
        yield '</time>'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'duration_label'):
        pass
        yield ' · <span class="duration">'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'duration_label'))
        yield '</span>'
    yield '</p>\n<p>'
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'description'))
    yield '</p>\n</article>\n</li>'

blocks = {}
debug_info = '4=20&6=26&7=33&9=39'