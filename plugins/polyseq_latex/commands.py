"""The LaTeX vocabulary polyseq knows: control words, math environments and delimiters.

Plain data, shared by the tokenizer (its built-in vocabulary) and the validator (what counts as a
known command). The lists cover LaTeX2e math (Lamport's manual, the amsmath/amssymb user guides)
and the older plain-TeX forms found in arXiv formulas (`\\over`, `\\cal`, `\\bf`).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset("\\" + w for w in text.split())


GREEK = _words("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi
    pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega digamma
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
    varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi varPsi varOmega
""")

SYMBOLS = _words("""
    aleph beth gimel daleth hbar hslash imath jmath ell wp Re Im partial infty prime backprime emptyset
    varnothing nabla surd top bot angle measuredangle sphericalangle triangle triangledown square
    blacksquare lozenge blacklozenge blacktriangle blacktriangledown diamondsuit heartsuit spadesuit
    clubsuit flat natural sharp forall exists nexists neg lnot complement mho eth Finv Game Bbbk
    dots ldots cdots vdots ddots dotsb dotsc dotsi dotsm dotso cdotp ldotp colon
    dag ddag S P pounds copyright checkmark maltese circledR circledS
    i j l L o O ae AE oe OE aa AA ss
""")

BINARY = _words("""
    pm mp times div cdot ast star circ bullet oplus ominus otimes oslash odot bigcirc dagger ddagger
    cap cup uplus sqcap sqcup vee wedge land lor setminus smallsetminus wr diamond bigtriangleup
    bigtriangledown triangleleft triangleright lhd rhd unlhd unrhd amalg dotplus ltimes rtimes
    leftthreetimes rightthreetimes curlyvee curlywedge boxplus boxminus boxtimes boxdot circledast
    circledcirc circleddash intercal barwedge veebar doublebarwedge Cap Cup divideontimes centerdot
    bmod mod pmod pod
""")

RELATIONS = _words("""
    leq le geq ge neq ne equiv sim simeq approx cong doteq propto models perp mid parallel nmid
    nparallel subset supset subseteq supseteq subsetneq supsetneq nsubseteq nsupseteq sqsubset sqsupset
    sqsubseteq sqsupseteq in ni notin owns vdash dashv vDash Vdash Vvdash nvdash nvDash nVdash smile frown
    ll gg lll ggg prec succ preceq succeq lesssim gtrsim lessapprox gtrapprox leqq geqq leqslant
    geqslant lessgtr gtrless nless ngtr nleq ngeq nleqslant ngeqslant lneq gneq lneqq gneqq lnsim gnsim
    asymp bowtie Join approxeq thicksim thickapprox backsim backsimeq eqsim nsim ncong
    triangleq trianglelefteq trianglerighteq vartriangleleft vartriangleright ntriangleleft
    ntriangleright circeq bumpeq Bumpeq doteqdot risingdotseq fallingdotseq eqcirc because therefore
    between pitchfork shortmid shortparallel varpropto blacktriangleleft blacktriangleright
    coloneqq eqqcolon
""")

ARROWS = _words("""
    leftarrow gets rightarrow to leftrightarrow Leftarrow Rightarrow Leftrightarrow longleftarrow
    longrightarrow longleftrightarrow Longleftarrow Longrightarrow Longleftrightarrow iff implies
    impliedby mapsto longmapsto hookleftarrow hookrightarrow leftharpoonup leftharpoondown
    rightharpoonup rightharpoondown rightleftharpoons leftrightharpoons uparrow downarrow updownarrow
    Uparrow Downarrow Updownarrow nearrow searrow swarrow nwarrow leadsto rightsquigarrow
    leftrightsquigarrow twoheadrightarrow twoheadleftarrow leftleftarrows rightrightarrows
    leftrightarrows rightleftarrows upuparrows downdownarrows curvearrowleft curvearrowright
    circlearrowleft circlearrowright Lsh Rsh looparrowleft looparrowright multimap
    nleftarrow nrightarrow nLeftarrow nRightarrow nleftrightarrow nLeftrightarrow
    xrightarrow xleftarrow
""")

BIG_OPERATORS = _words("""
    sum prod coprod int iint iiint iiiint idotsint oint smallint bigcap bigcup bigsqcup bigvee bigwedge
    bigodot bigotimes bigoplus biguplus
""")

FUNCTIONS = _words("""
    arccos arcsin arctan arg cos cosh cot coth csc deg det dim exp gcd hom inf injlim ker lg lim liminf
    limsup ln log max min Pr projlim sec sin sinh sup tan tanh varinjlim varprojlim varliminf varlimsup
    operatorname operatornamewithlimits
""")

DELIMITERS = _words("""
    langle rangle lfloor rfloor lceil rceil lbrace rbrace lbrack rbrack vert Vert lvert rvert lVert rVert
    backslash ulcorner urcorner llcorner lrcorner lgroup rgroup lmoustache rmoustache
    left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm biggm Biggm
""")

ACCENTS_AND_CONSTRUCTS = _words("""
    hat widehat check widecheck tilde widetilde acute grave dot ddot dddot ddddot breve bar vec mathring
    overline underline overbrace underbrace overleftarrow overrightarrow overleftrightarrow
    underleftarrow underrightarrow underleftrightarrow overset underset stackrel buildrel
    frac dfrac tfrac cfrac binom dbinom tbinom genfrac sqrt root of over atop choose brace brack above
    substack boxed fbox cancel bcancel xcancel cancelto not smash phantom hphantom vphantom
    mathstrut strut lefteqn rlap llap mathrlap mathllap mathclap
    c b d k r t u v H
""")

FONTS_AND_SIZES = _words("""
    mathrm mathit mathbf mathsf mathtt mathcal mathscr mathfrak mathbb mathnormal boldsymbol bm pmb
    boldmath unboldmath rm it bf sf tt sl sc cal mit em emph
    text textrm textit textbf textsf texttt textsl textsc textup textmd textnormal mbox hbox vbox
    makebox raisebox framebox parbox
    displaystyle textstyle scriptstyle scriptscriptstyle
    tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge
    mathop mathbin mathrel mathopen mathclose mathpunct mathinner mathord limits nolimits displaylimits
""")

SPACING_AND_STRUCTURE = _words("""
    quad qquad enspace enskip thinspace medspace thickspace negthinspace negmedspace negthickspace
    hspace vspace hfill vfill hskip vskip kern mkern mskip hfil vfil raise lower moveleft moveright
    smallskip medskip bigskip newline linebreak nobreak allowbreak
    begin end hline cline multicolumn multirow noalign arraystretch arraycolsep tabcolsep
    label ref eqref tag notag nonumber cr crcr protect relax displaybreak intertext shortintertext
    color textcolor colorbox setlength unitlength thicklines thinlines linethickness put circle line
    vector oval qbezier sp sb slash
""")

KNOWN_COMMANDS: frozenset[str] = (
    GREEK | SYMBOLS | BINARY | RELATIONS | ARROWS | BIG_OPERATORS | FUNCTIONS | DELIMITERS
    | ACCENTS_AND_CONSTRUCTS | FONTS_AND_SIZES | SPACING_AND_STRUCTURE
)

#: commands whose braced argument is text, where spaces count
TEXT_COMMANDS: frozenset[str] = _words("""
    text textrm textit textbf textsf texttt textsl textsc textup textmd textnormal mbox hbox fbox
    emph intertext shortintertext
""")

#: environments whose body is math (as in `\\begin{cases}`); `*` forms are allowed where listed
MATH_ENVIRONMENTS: frozenset[str] = frozenset("""
    matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix array subarray cases dcases rcases
    aligned alignedat gathered split align align* alignat alignat* equation equation* gather gather*
    multline multline* eqnarray eqnarray* flalign flalign* math displaymath CD tabular picture
""".split())

#: what may follow \\left, \\right or \\middle
DELIMITER_TOKENS: frozenset[str] = frozenset("( ) [ ] | . / < >".split()) | _words("""
    { } | langle rangle lfloor rfloor lceil rceil lbrace rbrace lbrack rbrack vert Vert lvert rvert
    lVert rVert backslash uparrow downarrow updownarrow Uparrow Downarrow Updownarrow lgroup rgroup
    lmoustache rmoustache ulcorner urcorner llcorner lrcorner
""")

#: how many arguments a command takes (a braced group or a single token each)
ARITY: dict[str, int] = {
    **dict.fromkeys(_words("frac dfrac tfrac cfrac binom dbinom tbinom overset underset stackrel"), 2),
    **dict.fromkeys(_words("""
        sqrt hat widehat check tilde widetilde acute grave dot ddot breve bar vec mathring overline
        underline overbrace underbrace overrightarrow overleftarrow boxed phantom hphantom vphantom
        mathrm mathit mathbf mathsf mathtt mathcal mathscr mathfrak mathbb boldsymbol operatorname
        text textrm textit textbf mbox hspace vspace
    """), 1),
}
