"""Seed example: the article's worked example, recomputed by the model's own attention layer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import exports, seed_figures, state
from engine import api


def _vector(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.2f}" for v in values) + "]"


def _keep_alpha_sum(changed: str, other: str) -> None:
    """The two α are a softmax: moving one moves the other so that they sum to 1."""
    st.session_state[other] = round(1.0 - st.session_state[changed], 2)


st.header("Seed example")
st.caption(
    "The worked example this product started from: a user's interests book, movie and sport, and the "
    "update of sport from its neighbours. The numbers below are computed by the model's own attention "
    "layer (InterestConv), with the α you choose passed to it as edge weights."
)

st.session_state.setdefault(state.SEED_ALPHA_BOOK, 0.5)
st.session_state.setdefault(state.SEED_ALPHA_MOVIE, 0.5)
controls, formula = st.columns([1, 2])
with controls:
    st.subheader("Attention", divider="gray")
    st.slider(
        "α book",
        0.0,
        1.0,
        step=0.05,
        key=state.SEED_ALPHA_BOOK,
        on_change=_keep_alpha_sum,
        args=(state.SEED_ALPHA_BOOK, state.SEED_ALPHA_MOVIE),
    )
    st.slider(
        "α movie",
        0.0,
        1.0,
        step=0.05,
        key=state.SEED_ALPHA_MOVIE,
        on_change=_keep_alpha_sum,
        args=(state.SEED_ALPHA_MOVIE, state.SEED_ALPHA_BOOK),
        help="kept at 1 − α book: attention is a softmax over the neighbours",
    )
    st.subheader("W (diagonal)", divider="gray")
    w_diag = [st.slider(f"W{i}{i}", -1.0, 2.0, 1.0, step=0.05, key=f"{state.SEED_W}{i}") for i in range(1, 4)]
    if st.button("Reset to the article's values"):
        w_keys = [f"{state.SEED_W}{i}" for i in (1, 2, 3)]
        for key in (state.SEED_ALPHA_BOOK, state.SEED_ALPHA_MOVIE, *w_keys):
            st.session_state.pop(key, None)
        st.rerun()

example = api.seed_example(float(st.session_state[state.SEED_ALPHA_BOOK]), w_diag)
(a_book, a_movie), h = example["alpha"], example["states"]
with formula:
    st.subheader("The update", divider="gray")
    st.latex(
        r"h'_{sport} = \sigma\Big(W\,h_{sport} + \sum_{u \in \{book,\,movie\}} \alpha_{u}\, h_u\Big)"
        r"\qquad \sigma = \mathrm{ReLU}"
    )
    diag = r"\mathrm{diag}(" + ", ".join(f"{w:.2f}" for w in example["w_diag"]) + ")"
    st.latex(rf"W\,h_{{sport}} = {diag}\,{_vector(h[2])} = {_vector(example['self_term'])}")
    st.latex(
        rf"\textstyle\sum_u \alpha_u h_u = {a_book:.2f}\,{_vector(h[0])} + {a_movie:.2f}\,{_vector(h[1])}"
        rf" = {_vector(example['neighbour_sum'])}"
    )
    st.latex(
        rf"h'_{{sport}} = \mathrm{{ReLU}}\big({_vector(example['pre_activation'])}\big)"
        rf" = {_vector(example['h_sport'])}"
    )
    st.markdown(f"**h_sport' = {_vector(example['h_sport'])}**")
    st.caption(
        "With the article's values (W = I, α = ½ each) this is [0.75, 0.55, 0.70]. α is what the layer "
        f"returned from its own softmax: book {a_book:.2f}, movie {a_movie:.2f}."
    )

left, right = st.columns(2)
figures = {"graph": seed_figures.example_graph(example), "bars": seed_figures.example_bars(example)}
left.plotly_chart(figures["graph"], width="stretch", key="seed_graph")
right.plotly_chart(figures["bars"], width="stretch", key="seed_bars")

vectors = pd.DataFrame(
    {
        "vector": ["h_book", "h_movie", "h_sport", "W h_sport", "Σ α h_u", "before σ", "h_sport'"],
        "values": [
            _vector(v)
            for v in (
                *h,
                example["self_term"],
                example["neighbour_sum"],
                example["pre_activation"],
                example["h_sport"],
            )
        ],
    }
)
st.dataframe(vectors, hide_index=True)
exports.csv_button(vectors, "seed-example", "seed_csv")
exports.figure_export(figures, "seed_fig", "seed-")
