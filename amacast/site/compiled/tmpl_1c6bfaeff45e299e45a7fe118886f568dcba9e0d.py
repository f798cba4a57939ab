from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'episode.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'episode.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_title(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_episode = resolve('episode')
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'title'))
    yield ' · '
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_episode = resolve('episode')
    pass
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'description'))

def block_head(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_episode = resolve('episode')
    l_0_site = resolve('site')
    pass
    yield '<meta property="og:type" content="article">\n<meta property="og:title" content="'
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'title'))
    yield '">\n<meta property="og:description" content="'
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'description'))
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
    l_0_root = resolve('root')
    l_0_episode = resolve('episode')
    try:
        t_1 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '<article class="episode">\n<header class="episode-header">\n<p class="breadcrumb"><a href="'
    yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
    yield 'index.html">All episodes</a></p>\n<h1>'
    yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'title'))
    yield '</h1>\n<p class="meta">\n'
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
    yield '</p>\n</header>\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'audio_src'):
        pass
        yield '<section class="player" aria-labelledby="listen-title">\n<h2 id="listen-title">Listen</h2>\n<audio id="player" controls preload="metadata" aria-labelledby="listen-title">\n<source src="'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'audio_src'))
        yield '" type="'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'audio_type'))
        yield '">\n<a href="'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'audio_src'))
        yield '">Download the episode (MP3)</a>\n</audio>\n</section>\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'preamble_html'):
        pass
        yield '<section class="about" aria-labelledby="about-title">\n<h2 id="about-title">About this episode</h2>\n'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'preamble_html'))
        yield '\n</section>\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'speakers'):
        pass
        yield '<section class="speakers" aria-labelledby="speakers-title">\n<h2 id="speakers-title">Speakers</h2>\n<ul>\n'
        for l_1_speaker in environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'speakers'):
            _loop_vars = {}
            pass
            yield '<li><span class="speaker-name">'
            yield escape(environment.getattr(l_1_speaker, 'name'))
            yield '</span>'
            if (environment.getattr(l_1_speaker, 'count') > 1):
                pass
                yield ' <span class="role">'
                yield escape(environment.getattr(l_1_speaker, 'count'))
                yield ' people</span>'
            elif environment.getattr(l_1_speaker, 'role'):
                pass
                yield ' <span class="role">'
                yield escape(environment.getattr(l_1_speaker, 'role'))
                yield '</span>'
            yield '</li>\n'
        l_1_speaker = missing
        yield '</ul>\n</section>\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'chapters'):
        pass
        yield '<nav class="chapters" aria-labelledby="chapters-title">\n<h2 id="chapters-title">Chapters</h2>\n<ol>\n'
        for l_1_chapter in environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'chapters'):
            _loop_vars = {}
            pass
            yield '<li><a class="seek" href="'
            yield escape(environment.getattr(l_1_chapter, 'href'))
            yield '" data-start="'
            yield escape(environment.getattr(l_1_chapter, 'start'))
            yield '"><span class="timestamp">'
            yield escape(environment.getattr(l_1_chapter, 'start_label'))
            yield '</span> <span class="chapter-title">'
            yield escape(environment.getattr(l_1_chapter, 'title'))
            yield '</span></a></li>\n'
        l_1_chapter = missing
        yield '</ol>\n</nav>\n'
    yield '<section class="transcript" aria-labelledby="transcript-title">\n<h2 id="transcript-title">Transcript</h2>\n'
    for l_1_turn in environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'turns'):
        _loop_vars = {}
        pass
        yield '<section class="turn'
        if environment.getattr(l_1_turn, 'role'):
            pass
            yield ' role-'
            yield escape(environment.getattr(l_1_turn, 'role'))
        yield '" id="'
        yield escape(environment.getattr(l_1_turn, 'anchor'))
        yield '">\n<h3 class="speaker">'
        yield escape(environment.getattr(l_1_turn, 'speaker_name'))
        if (not t_1(environment.getattr(l_1_turn, 'start'))):
            pass
            yield ' <a class="seek timestamp" href="#t='
            yield escape(environment.getattr(l_1_turn, 'start'))
            yield '" data-start="'
            yield escape(environment.getattr(l_1_turn, 'start'))
            yield '" aria-label="Play from '
            yield escape(environment.getattr(l_1_turn, 'start_label'))
            yield '">'
            yield escape(environment.getattr(l_1_turn, 'start_label'))
            yield '</a>'
        yield '</h3>\n'
        yield escape(environment.getattr(l_1_turn, 'html'))
        yield '\n</section>\n'
    l_1_turn = missing
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'epilogue_html'):
        pass
        yield '<section class="epilogue">\n'
        yield escape(environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'epilogue_html'))
        yield '\n</section>\n'
    yield '</section>\n'
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'downloads'):
        pass
        yield '<section class="downloads" aria-labelledby="downloads-title">\n<h2 id="downloads-title">Downloads</h2>\n<ul>\n'
        for l_1_link in environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'downloads'):
            _loop_vars = {}
            pass
            yield '<li><a href="'
            yield escape(environment.getattr(l_1_link, 'href'))
            yield '" type="'
            yield escape(environment.getattr(l_1_link, 'type'))
            yield '" download>'
            yield escape(environment.getattr(l_1_link, 'label'))
            yield '</a></li>\n'
        l_1_link = missing
        yield '</ul>\n</section>\n'
    yield '</article>\n'

def block_scripts(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_episode = resolve('episode')
    l_0_root = resolve('root')
    pass
    if environment.getattr((undefined(name='episode') if l_0_episode is missing else l_0_episode), 'audio_src'):
        pass
        yield '<script src="'
        yield escape((undefined(name='root') if l_0_root is missing else l_0_root))
        yield 'player.js" defer></script>\n'

blocks = {'title': block_title, 'description': block_description, 'head': block_head, 'content': block_content, 'scripts': block_scripts}
debug_info = '1=12&2=17&3=31&4=42&6=53&7=55&8=57&9=60&12=63&15=80&16=82&18=84&19=91&22=97&26=100&27=104&31=106&34=109&37=111&41=114&42=118&47=133&51=136&52=140&59=151&60=155&61=162&62=175&65=178&67=181&71=184&75=187&76=191&83=201&84=211&85=214'