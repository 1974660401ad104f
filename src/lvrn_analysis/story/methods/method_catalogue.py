"""The catalogue of the statistical methods the package implements.

`METHODS` names each method with the function that implements it, its formula and
its citation; the tests check that each function exists and that its docstring
(or its module's) agrees. `methods_markdown()` renders the catalogue with each
function's docstring summary and a link to its page in the package reference
(`lvrn_analysis.story.methods.reference_links.api_page()`); `methods_frame()` is
the downloadable table.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pandas as pd

from lvrn_analysis.story.methods.reference_links import api_page, resolve


@dataclass(frozen=True)
class Method:
    """One statistical method of the package.

    Attributes
    ----------
    method
        Name of the method.
    function
        Dotted path of the function (or class method) implementing it.
    formula
        Formula summary (Markdown with TeX maths).
    citation
        Reference(s).
    doc_key
        A string that the function's or its module's docstring contains (checked
        by the tests, so that the catalogue and the docstrings agree).
    usage
        How to ask for it, when the function does more than this method.
    """

    method: str
    function: str
    formula: str
    citation: str
    doc_key: str
    usage: str = ""


#: The statistical methods of the package, with formulas and citations.
METHODS: tuple[Method, ...] = (
    Method("Exact (Garwood) Poisson interval for a count",
           "lvrn_analysis.stats.indicators.exact_poisson_interval",
           r"$L=\tfrac12\chi^2_{\alpha/2}(2x)$, $U=\tfrac12\chi^2_{1-\alpha/2}(2x+2)$",
           "Garwood F (1936). Fiducial limits for the Poisson distribution. *Biometrika* "
           "28:437-442.", "Garwood"),
    Method("Byar's approximation to the Poisson limits",
           "lvrn_analysis.stats.indicators.byars_lower",
           r"$L=x\left(1-\frac{1}{9x}-\frac{z}{3\sqrt{x}}\right)^3$, "
           r"$U=(x+1)\left(1-\frac{1}{9(x+1)}+\frac{z}{3\sqrt{x+1}}\right)^3$",
           "Breslow NE, Day NE (1987). *Statistical methods in cancer research, vol. II*. "
           "IARC; Eayres D (2008). *APHO Technical Briefing 3*.", "Breslow",
           "`byars_upper` for the upper limit"),
    Method("Crude rate with exact (below 10 events) or Byar's limits",
           "lvrn_analysis.stats.indicators.crude_rate",
           r"$r=x/n\times m$; limits of $x$ divided by $n$, times $m$",
           "Eayres D (2008). *APHO Technical Briefing 3: Commonly used public health "
           "statistics and their confidence intervals*.", "APHO Technical Briefing 3"),
    Method("Wilson score interval for a proportion",
           "lvrn_analysis.stats.indicators.wilson_interval",
           r"$\dfrac{2x+z^2\mp z\sqrt{z^2+4x(1-x/n)}}{2(n+z^2)}$",
           "Wilson EB (1927). *J Am Stat Assoc* 22:209-212; Newcombe RG (1998). *Stat Med* "
           "17:857-872.", "Wilson", "`proportion` for tidy frames"),
    Method("Directly standardised rate (DSR), Dobson limits, 2013 European Standard "
           "Population", "lvrn_analysis.stats.indicators.dsr",
           r"$\mathrm{DSR}=\frac{\sum_i w_i x_i/n_i}{\sum_i w_i}m$; "
           r"$\mathrm{DSR}+\sqrt{\mathrm{var}/O}\,(O_{L,U}-O)\,m$ with Byar's $O_{L,U}$",
           "Dobson AJ et al. (1991). *Stat Med* 10:457-462; Eurostat (2013). *Revision of "
           "the European Standard Population*.", "Dobson",
           "weights from `esp2013()`"),
    Method("Indirectly standardised rate and ratio (ISR, SMR)",
           "lvrn_analysis.stats.indicators.isr",
           r"$E=\sum_i (x^{ref}_i/n^{ref}_i)\,n_i$; $\mathrm{ISR}=O/E\times R$; limits of "
           r"$O$ (exact or Byar's) over $E$",
           "Breslow & Day (1987); Eayres D (2008). *APHO Technical Briefing 3*.",
           "Breslow", "`isratio` for the ratio"),
    Method("Mean with Student's t interval", "lvrn_analysis.stats.indicators.mean_ci",
           r"$\bar x\pm t_{1-\alpha/2,\,k-1}\,s/\sqrt{k}$",
           "Student (1908). The probable error of a mean. *Biometrika* 6:1-25.",
           "Student"),
    Method("Fingertips-style benchmark comparison",
           "lvrn_analysis.stats.benchmarking.compare_to_benchmark",
           r"better / similar / worse: the 95 % or 99.8 % interval lies wholly above, "
           r"across or below the benchmark, read by polarity",
           "OHID Fingertips comparison methods; Eayres D (2008). *APHO Technical Briefing 3*.",
           "Fingertips"),
    Method("Quintile ranking", "lvrn_analysis.stats.benchmarking.quintiles",
           r"quintile $\lceil 5r/k\rceil$ for rank $r$ of $k$ areas",
           "OHID Fingertips quintile comparison.", "quintile"),
    Method("Funnel plot control limits", "lvrn_analysis.stats.funnels.funnel_limits",
           r"$y_p=(r_p-\alpha)/\rho$, $\alpha=\frac{F(r_p)-p}{F(r_p)-F(r_p-1)}$ "
           r"(exact); $\theta\pm z\sqrt{\theta(1-\theta)/\rho}$ (Wilson)",
           "Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance. "
           "*Stat Med* 24:1185-1202.", "Spiegelhalter"),
    Method("Interrupted time series: segmented regression",
           "lvrn_analysis.its.model.fit_its",
           r"$\log E[Y_t]=\log(\mathrm{pop}_t)+\beta_0+\beta_1 t+\beta_2\,\mathrm{level}_t"
           r"+\beta_3\,\mathrm{slope}_t+\mathrm{season}_t+\gamma'z_t$",
           "Lopez Bernal J, Cummins S, Gasparrini A (2017). Interrupted time series "
           "regression for the evaluation of public health interventions: a tutorial. "
           "*Int J Epidemiol* 46(1):348-355.", "Lopez Bernal"),
    Method("Quasi-Poisson standard errors", "lvrn_analysis.its.model.fit_its",
           r"SE $\times\sqrt{\phi}$, $\phi=X^2_{\mathrm{Pearson}}/(n-p)$",
           "Lopez Bernal, Cummins & Gasparrini (2017), as above.", "quasipoisson",
           '`family="quasipoisson"` (the default)'),
    Method("Negative binomial (NB2) association model for area counts",
           "lvrn_analysis.story.causes.fit_nb",
           r"$\log E[Y_i]=\log(\mathrm{PY}_i)+b_0+b_1 z_i$, "
           r"$\mathrm{Var}(Y_i)=\mu_i+\alpha\mu_i^2$; $e^{b_1}$ = rate ratio per SD of the "
           r"risk factor",
           "Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed., §3.3.",
           "Cameron", "`univariable_table`, `leave_one_out` for the influence of each area"),
    Method("Negative binomial (NB2) family for interrupted time series",
           "lvrn_analysis.its.model.fit_its",
           r"$\mathrm{Var}(Y)=\mu+\alpha\mu^2$, $\alpha$ by maximum likelihood",
           "Venables WN, Ripley BD (2002). *Modern Applied Statistics with S*, 4th ed. "
           "(`MASS::glm.nb`).", "glm.nb", '`family="negbin"`'),
    Method("Fourier terms for seasonality", "lvrn_analysis.its.design.harmonic",
           r"$\sin(2\pi k\,\mathrm{month}/12)$, $\cos(2\pi k\,\mathrm{month}/12)$, "
           r"$k=1..K$",
           "Bhaskaran K et al. (2013). Time series regression studies in environmental "
           "epidemiology. *Int J Epidemiol* 42(4):1187-1195.", "Bhaskaran"),
    Method("COVID-19 lockdown covariates", "lvrn_analysis.its.design.lockdown_covariates",
           r"share of each period inside each national lockdown",
           "Institute for Government (2022). *Timeline of UK government coronavirus "
           "lockdowns and measures*.", "lockdown", "`lockdowns=True` in `fit_its`"),
    Method("Newey-West (HAC) standard errors", "lvrn_analysis.its.model.newey_west_lags",
           r"Bartlett-weighted sandwich, lag $L=\lfloor 4(n/100)^{2/9}\rfloor$",
           "Newey WK, West KD (1987). *Econometrica* 55(3):703-708; (1994). *Rev Econ Stud* "
           "61(4):631-653.", "Newey", '`se="hac"` in `fit_its`'),
    Method("Regression with ARIMA errors", "lvrn_analysis.its.model.fit_its",
           r"$\log(y_t/\mathrm{pop}_t)=x_t'\beta+\eta_t$, $\eta_t\sim\mathrm{ARIMA}(p,d,q)$",
           "Box GEP, Jenkins GM (1976). *Time series analysis: forecasting and control*; "
           "statsmodels `SARIMAX`.", "SARIMAX", '`method="arima"`'),
    Method("Controlled interrupted time series", "lvrn_analysis.its.model.fit_its",
           r"treated and control stacked with treated-specific level and slope terms, or "
           r"$\log$ control rate as an offset",
           "Lopez Bernal J, Cummins S, Gasparrini A (2018). The use of controls in "
           "interrupted time series studies of public health interventions. *Int J "
           "Epidemiol* 47(6):2082-2093; Bottomley C, Scott JAG, Isham V (2019). Analysing "
           "interrupted time series with a control. *Epidemiologic Methods* 8(1).",
           "Bottomley", '`control=..., control_method="interaction"` or `"offset"`'),
    Method("Offences averted (counterfactual minus fitted)",
           "lvrn_analysis.its.results.ITSResults.averted",
           r"$\sum_t(\hat\mu^{cf}_t-\hat\mu_t)$, interval from 2,000 draws of "
           r"$N(\hat\beta,V)$",
           "Gasparrini A, Leone M (2014). Attributable risk from distributed lag models. "
           "*BMC Med Res Methodol* 14:55.", "Gasparrini"),
    Method("In-time placebo test", "lvrn_analysis.its.robustness.placebo_test",
           r"$p=\dfrac{1+\#\{|\log RR_{placebo}|\ge|\log RR|\}}{1+n_{placebo}}$",
           "Lopez Bernal, Cummins & Gasparrini (2018), as above; Abadie A, Diamond A, "
           "Hainmueller J (2010). *JASA* 105:493-505.", "placebo"),
    Method("Sensitivity to seasonality and lockdown handling",
           "lvrn_analysis.its.robustness.sensitivity",
           r"refits with 0-3 Fourier pairs $\times$ lockdowns ignored / covariates / excluded",
           "Lopez Bernal, Cummins & Gasparrini (2017), as above.", "Sensitivity"),
    Method("Power by simulation", "lvrn_analysis.its.power.power_analysis",
           r"share of simulated NB series with $p<\alpha$ in the true direction; Monte "
           r"Carlo SE $\le\sqrt{0.25/n_{sims}}$",
           "Simulation under the fitted model; Wilson (1927) intervals for the power.",
           "Monte Carlo"),
    Method("Minimum detectable effect", "lvrn_analysis.its.power.minimum_detectable_effect",
           r"smallest fall with power $\ge 0.8$; analytic check "
           r"$1-\exp(-(z_{1-\alpha/2}+z_{power})\,sd)$",
           "Bloom HS (1995). Minimum detectable effects. *Evaluation Review* 19(5):547-556.",
           "detectable"),
    Method("Holm adjustment for multiple testing", "lvrn_analysis.story.impact.evaluate",
           r"$p_{(i)}^{adj}=\max_{j\le i}\min\{1,(k-j+1)p_{(j)}\}$",
           "Holm S (1979). A simple sequentially rejective multiple test procedure. *Scand J "
           "Stat* 6(2):65-70.", "Holm"),
    Method("Statistical disclosure control", "lvrn_analysis.stats.disclosure.publish",
           r"suppress counts 1-7, round others to 5, secondary suppression, derived values "
           r"of suppressed counts suppressed",
           "OpenSAFELY disclosure control guidance; Government Analysis Function (2021). "
           "*Symbols in tables, definitions and help*.", "OpenSAFELY"),
)


def methods_frame() -> pd.DataFrame:
    """Return the method catalogue as a table (for the downloadable CSV).

    Returns
    -------
    pandas.DataFrame
        ``method``, ``function``, ``how to ask for it``, ``formula``, ``citation``,
        ``reference page``.
    """
    return pd.DataFrame([{
        "method": m.method, "function": m.function, "how to ask for it": m.usage,
        "formula": m.formula, "citation": m.citation,
        "reference page": api_page(m.function).removeprefix("../")} for m in METHODS])


def methods_markdown() -> str:
    """Render the method catalogue as a Markdown list linked to the package reference.

    Returns
    -------
    str
        One bullet per method: name, the function (linked to its reference page)
        and how to ask for it, the formula and the citation.
    """
    lines = []
    for m in METHODS:
        _, obj = resolve(m.function)
        first = (inspect.getdoc(obj) or "").split("\n")[0]
        usage = f" ({m.usage})" if m.usage else ""
        lines.append(f"* **{m.method}** — [`{m.function}`]({api_page(m.function)}){usage}: "
                     f"{m.formula}. *Docstring:* {first} *Source:* {m.citation}")
    return "\n".join(lines)
