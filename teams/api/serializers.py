"""Serializers of the organisation: units, departments, prosecutors, teams with their members."""

from __future__ import annotations

from rest_framework import serializers

from teams.models import Department, Membership, Prosecutor, Team, Unit


class UnitSerializer(serializers.ModelSerializer):
    """A unit (检察院) with its parent's code."""

    parent = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="上级单位编码 / parent unit code (null at the top)",
    )

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "parent"]
        extra_kwargs = {
            "code": {"help_text": "单位编码 / unit code"},
            "name": {"help_text": "单位名称 / unit name"},
        }


class DepartmentSerializer(serializers.ModelSerializer):
    """A department (部门) and the code and name of its unit."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码 / unit code")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="单位名称 / unit name")

    class Meta:
        model = Department
        fields = ["id", "code", "name", "unit", "unit_name"]
        extra_kwargs = {
            "code": {"help_text": "部门编码 / department code"},
            "name": {"help_text": "部门名称 / department name"},
        }


class ProsecutorSerializer(serializers.ModelSerializer):
    """A prosecutor (检察人员) with unit and department codes and names."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码 / unit code")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="单位名称 / unit name")
    department = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="部门编码 / department code")
    department_name = serializers.CharField(
        source="department.name", read_only=True, help_text="部门名称 / department name"
    )

    class Meta:
        model = Prosecutor
        fields = ["id", "staff_code", "name", "role", "unit", "unit_name", "department", "department_name"]
        extra_kwargs = {
            "staff_code": {"help_text": "工号 / staff code"},
            "name": {"help_text": "姓名 / name"},
            "role": {"help_text": "身份：检察官 / 检察官助理 / 其他 / role"},
        }


class MemberSerializer(serializers.ModelSerializer):
    """One membership of a team: who, in which role, from when to when."""

    staff_code = serializers.CharField(source="prosecutor.staff_code", read_only=True, help_text="工号 / staff code")
    name = serializers.CharField(source="prosecutor.name", read_only=True, help_text="姓名 / name")

    class Meta:
        model = Membership
        fields = ["staff_code", "name", "role", "date_from", "date_to"]
        extra_kwargs = {
            "role": {"help_text": "团队角色：带头人 leader / 核心成员 core / 其他组成人员 member"},
            "date_from": {"help_text": "起始日期 / member from"},
            "date_to": {"help_text": "截止日期 / member until"},
        }


class TeamSerializer(serializers.ModelSerializer):
    """A specialised team (专业化办案团队) with its members (every membership, dated)."""

    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码 / unit code")
    unit_name = serializers.CharField(source="unit.name", read_only=True, help_text="单位名称 / unit name")
    members = MemberSerializer(source="memberships", many=True, read_only=True, help_text="成员 / members")

    class Meta:
        model = Team
        fields = ["id", "team_code", "name", "unit", "unit_name", "members"]
        extra_kwargs = {
            "team_code": {"help_text": "团队编码 / team code"},
            "name": {"help_text": "团队名称 / team name"},
        }
