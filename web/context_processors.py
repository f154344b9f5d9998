from django.conf import settings


def banner(request):
    """The classification banner shown at the top and bottom of every page."""
    return {"CLASSIFICATION_BANNER": settings.CLASSIFICATION_BANNER}
