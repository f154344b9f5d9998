"""Reusable API test-case mixins (NetBox style): every CRUD case, run for every role.

A case class names its list URL, its model and an ``obj`` fixture (an object owned by POL), and
says what each role should get. Roles: ``cell`` (coordinator, session), ``pol`` (POL's token),
``usa`` (USA's token: another nation), ``anon``, ``expired`` and ``revoked`` (POL tokens).
A refused request must leave the table unchanged.
"""

from __future__ import annotations

import pytest

ROLES = ["cell", "pol", "usa", "anon", "expired", "revoked"]
UNAUTHENTICATED = {"anon": 401, "expired": 401, "revoked": 401}


def snapshot(model) -> list[tuple]:
    return sorted(model.objects.values_list(*[f.attname for f in model._meta.concrete_fields
                                               if f.attname not in ("updated_at",)]))


class ListTests:
    url: str
    model = None
    # Which roles see the POL-owned object in the list.
    sees_object = {"cell": True, "pol": True, "usa": False}

    @pytest.mark.parametrize("role", ROLES)
    def test_list(self, role, roles, obj):
        response = roles[role].get(self.url)
        if role in UNAUTHENTICATED:
            assert response.status_code == 401, response.content
            return
        assert response.status_code == 200, response.content
        ids = [row.get("id", row.get("code")) for row in response.json()["results"]]
        assert (self.object_id(obj) in ids) is self.sees_object[role]

    def object_id(self, obj):
        return obj.pk


class RetrieveTests:
    url: str
    sees_object = {"cell": True, "pol": True, "usa": False}

    @pytest.mark.parametrize("role", ROLES)
    def test_retrieve(self, role, roles, obj):
        response = roles[role].get(f"{self.url}{self.object_id(obj)}/")
        if role in UNAUTHENTICATED:
            assert response.status_code == 401
        elif self.sees_object[role]:
            assert response.status_code == 200, response.content
        else:
            assert response.status_code == 404, response.content


class CreateTests:
    """``create_expect[role]``: the status; ``created_for[role]``: the nation code the new row must belong to."""

    url: str
    model = None
    create_expect = {"cell": 201, "pol": 201, "usa": 201}
    created_for: dict | None = {"cell": "POL", "pol": "POL", "usa": "USA"}
    lookup = "id"

    def create_body(self, obj) -> dict:
        raise NotImplementedError

    def owner_code(self, instance) -> str:
        raise NotImplementedError

    @pytest.mark.parametrize("role", ROLES)
    def test_create(self, role, roles, obj):
        before = snapshot(self.model)
        response = roles[role].post(self.url, self.create_body(obj), format="json")
        expected = UNAUTHENTICATED.get(role) or self.create_expect[role]
        assert response.status_code == expected, response.content
        if expected == 201:
            instance = self.model.objects.get(**{self.lookup: response.json()[self.lookup]})
            if self.created_for is not None:
                assert self.owner_code(instance) == self.created_for[role]
            assert len(snapshot(self.model)) == len(before) + 1
        else:
            assert snapshot(self.model) == before


class UpdateTests:
    """PATCH by role; ``update_expect[role]``; a refused PATCH changes nothing."""

    url: str

    def object_id(self, obj):
        return obj.pk
    model = None
    update_expect = {"cell": 200, "pol": 200, "usa": 404}

    def update_body(self, obj) -> dict:
        raise NotImplementedError

    @pytest.mark.parametrize("role", ROLES)
    def test_partial_update(self, role, roles, obj):
        before = snapshot(self.model)
        response = roles[role].patch(f"{self.url}{self.object_id(obj)}/", self.update_body(obj), format="json")
        expected = UNAUTHENTICATED.get(role) or self.update_expect[role]
        assert response.status_code == expected, response.content
        if expected == 200:
            obj.refresh_from_db()
            for name, value in self.update_body(obj).items():
                assert str(getattr(obj, name)) == str(value)
        else:
            assert snapshot(self.model) == before


class ReadOnlyTests:
    """Writes to a read-only endpoint: 401 without credentials, 405 otherwise, nothing changes."""

    url: str
    model = None

    @pytest.mark.parametrize("role", ROLES)
    def test_writes_not_allowed(self, role, roles, obj):
        before = snapshot(self.model)
        post = roles[role].post(self.url, {}, format="json")
        delete = roles[role].delete(f"{self.url}{self.object_id(obj)}/")
        expected = UNAUTHENTICATED.get(role, 405)
        assert (post.status_code, delete.status_code) == (expected, expected)
        assert snapshot(self.model) == before


class ApiViewTestCase(ListTests, RetrieveTests):
    pass


CELL_ONLY_CREATE = {"cell": 201, "pol": 403, "usa": 403}
CELL_ONLY_UPDATE = {"cell": 200, "pol": 403, "usa": 403}
