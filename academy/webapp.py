"""Serve the built web app (web/dist) so the demo needs no Node on the machine."""
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse

DIST = Path(settings.BASE_DIR) / "web" / "dist"


def web_file(request, path: str = ""):
    """Return a file of the build, or index.html for the app's own routes."""
    root = DIST.resolve()
    target = (root / path).resolve() if path else root / "index.html"
    if root not in target.parents and target != root / "index.html":
        raise Http404
    if not target.is_file():
        if path.startswith("assets/"):
            raise Http404
        target = root / "index.html"  # client-side routes
        if not target.is_file():
            return HttpResponse("The web app is not built: run `make web`.", status=503, content_type="text/plain")
    response = FileResponse(open(target, "rb"))
    if path.startswith("assets/"):
        response["Cache-Control"] = "public, max-age=31536000, immutable"  # hashed names
    else:
        # The app's pages: only here, so the JSON API pays nothing for the header.
        response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
    return response
