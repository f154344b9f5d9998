"""Page-number pagination with a client-chosen page size (bounded).

``page`` is a whole number from 1 and ``page_size`` one from 1 to ``max_page_size`` (ASCII digits);
anything else is a 400 naming the parameter, not a silent default. A page beyond the last is a 404.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from coordination.api.filters import parse_id


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()

    def _number(self, request, name: str, maximum: int | None = None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        number = parse_id(raw)
        if number is None or (maximum is not None and number > maximum):
            bound = f"1 to {maximum}" if maximum else "1 or more"
            raise ValidationError({name: [f"Give a whole number, {bound}."]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        self._number(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self._number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            if parameter["name"] == self.page_query_param:
                schema.update({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
            elif parameter["name"] == self.page_size_query_param:
                schema.update({"type": "integer", "minimum": 1, "maximum": self.max_page_size})
        return parameters
