"""The portal in the requester's language: Accept-Language, the switch, <html lang>, wording."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from kb.web.i18n import COOKIE

pytestmark = pytest.mark.model

SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


def html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found, page[:200]
    return found.group(1)


def test_english_by_default(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "How can we help?" in page
    # The switch offers the other language, named in its own language.
    assert 'hreflang="es"><span class="language-name">Español</span>' in page


def test_spanish_from_the_browser(client: FlaskClient) -> None:
    page = client.get("/", headers=SPANISH).get_data(as_text=True)
    assert html_lang(page) == "es"
    assert "¿En qué podemos ayudarle?" in page and "How can we help?" not in page
    assert "Abrir una solicitud" in page
    assert 'hreflang="en"><span class="language-name">English</span>' in page


def test_the_best_match_of_accept_language_wins(client: FlaskClient) -> None:
    assert html_lang(client.get("/", headers={"Accept-Language": "fr, es;q=0.8"}).text) == "es"
    assert html_lang(client.get("/", headers={"Accept-Language": "fr, de;q=0.8"}).text) == "en"


def test_the_switch_remembers_the_choice_and_goes_back(client: FlaskClient) -> None:
    switched = client.get("/language/es", query_string={"next": "/request?subject=vpn"})
    assert switched.status_code == 303
    assert switched.location == "/request?subject=vpn"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.value == "es" and cookie.http_only
    # The choice beats the browser's own preference from then on.
    page = client.get("/request", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(page) == "es" and "Enviar la solicitud" in page
    client.get("/language/en")
    assert html_lang(client.get("/request", headers=SPANISH).text) == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "request"])
def test_the_switch_only_returns_to_this_site(client: FlaskClient, target: str) -> None:
    switched = client.get("/language/es", query_string={"next": target})
    assert switched.status_code == 303 and switched.location == "/"


def test_an_unknown_language_is_a_404_that_says_so(client: FlaskClient) -> None:
    response = client.get("/language/xx")
    assert response.status_code == 404
    assert "not available in that language" in response.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is None


def test_request_form_and_its_suggestions_in_spanish(client: FlaskClient) -> None:
    page = client.get("/request", headers=SPANISH).get_data(as_text=True)
    assert "Asunto" in page and "Tipo de solicitud" in page
    # Categories by their name, never their slug.
    assert ">Contraseñas y acceso</option>" in page and ">accounts-access<" not in page
    panel = client.post(
        "/request/suggestions",
        data={"subject": "la VPN no conecta", "description": "error de certificado"},
        headers=SPANISH,
    ).get_data(as_text=True)
    assert "Esto resolvió mi problema" in panel
    labels = re.findall(r'class="confidence confidence-\w+" lang="es"[^>]*>\s*([^·<]+)·', panel)
    assert labels, panel
    assert set(label.strip() for label in labels) <= {
        "muy probablemente lo resuelva",
        "probablemente ayude",
        "podría ayudar",
    }


def test_an_answer_in_another_language_says_so(client: FlaskClient) -> None:
    page = client.get("/", query_string={"q": "impresora sin conexión"}).get_data(as_text=True)
    # An English page names a Spanish answer's language, in English.
    assert "In Spanish" in page
    spanish = client.get("/", query_string={"q": "vpn certificate"}, headers=SPANISH).text
    assert "En inglés" in spanish and "In Spanish" not in spanish


def test_problems_with_input_are_worded_in_spanish(client: FlaskClient) -> None:
    page = client.post(
        "/request",
        data={"subject": "x" * 301, "description": "", "action": "check"},
        headers=SPANISH,
    ).get_data(as_text=True)
    assert "El asunto debe tener menos de 300 caracteres." in page
    missing = client.post(
        "/request", data={"subject": "", "description": "", "action": "submit"}, headers=SPANISH
    ).get_data(as_text=True)
    assert "Escriba un asunto breve." in missing


def test_error_pages_in_spanish(client: FlaskClient) -> None:
    response = client.get("/articles/no-such-article", headers=SPANISH)
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and html_lang(page) == "es"
    assert "No hemos encontrado esa página" in page
    assert "No hay ningún artículo público en esta dirección." in page


def test_the_api_words_labels_in_the_requested_language(client: FlaskClient) -> None:
    english = client.get("/api/v1/search", query_string={"q": "vpn certificate"}).get_json()
    spanish = client.get(
        "/api/v1/search", query_string={"q": "vpn certificate"}, headers=SPANISH
    ).get_json()
    assert [hit["confidence"] for hit in english["hits"]] == [
        hit["confidence"] for hit in spanish["hits"]
    ]
    words = {"high": "muy probablemente lo resuelva", "medium": "probablemente ayude"}
    for hit in spanish["hits"]:
        assert hit["label"] == words.get(hit["confidence"], "podría ayudar")


@pytest.mark.parametrize(
    ("headers", "written"),
    [({}, "Updated Nov 4, 2026"), (SPANISH, "Actualizado el 4 nov 2026")],
)
def test_an_articles_date_is_written_as_the_pages_language_writes_dates(
    client: FlaskClient, headers: dict[str, str], written: str
) -> None:
    page = client.get("/articles/print-jobs-stuck-in-queue", headers=headers).text
    assert written in page and "2026-11-04" not in page
