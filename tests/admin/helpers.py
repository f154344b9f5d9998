"""Drive the import-export admin views the way a user does: export form, upload, preview, confirm."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

FORMAT_INDEX = {"csv": "0", "xlsx": "1"}


def export(client, app: str, model: str, fmt: str) -> bytes:
    url = reverse(f"admin:{app}_{model}_export")
    form = client.get(url).context["form"]
    data = {"format": FORMAT_INDEX[fmt], "resource": "0"}
    data.update({name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content) if response.streaming else response.content


def preview(client, app: str, model: str, fmt: str, content: bytes):
    """Upload a file; return the preview response (dry run: nothing written)."""
    name = f"upload.{fmt}"
    response = client.post(reverse(f"admin:{app}_{model}_import"), {
        "format": FORMAT_INDEX[fmt], "resource": "0", "import_file": SimpleUploadedFile(name, content),
    })
    assert response.status_code == 200
    return response


def confirm(client, app: str, model: str, preview_response):
    form = preview_response.context["confirm_form"]
    assert form is not None, "the preview had errors; nothing to confirm"
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse(f"admin:{app}_{model}_process_import"), data)
