"""Turning rows into response bodies, and the problem-code note every route's description ends with."""

from __future__ import annotations

import uuid

from app.identity.api import mask_phone
from app.volunteers.models import (
    VolunteerActivity,
    VolunteerJoinRequest,
    VolunteerProfile,
    VolunteerProject,
    VolunteerSignup,
    VolunteerTeam,
)
from app.volunteers.schemas import (
    ACTIVITY_STATUS_TITLES,
    CHECKOUT_STATUS_TITLES,
    JOIN_REQUEST_STATUS_TITLES,
    SIGNUP_STATUS_TITLES,
    SKILL_TITLES,
    THEME_TITLES,
    VolunteerActivityOut,
    VolunteerActivityStatus,
    VolunteerCheckoutStatus,
    VolunteerJoinRequestOut,
    VolunteerJoinStatus,
    VolunteerProfileOut,
    VolunteerProjectOut,
    VolunteerSignupOut,
    VolunteerSignupStatus,
    VolunteerSkill,
    VolunteerTeamOut,
    VolunteerTheme,
)
from app.volunteers.stats import Reliability


def codes(text: str, *problem_codes: str) -> str:
    """A route description that names the problem codes it may answer with."""
    listed = "、".join(f"`{c}`" for c in problem_codes)
    return f"{text}\n\n错误码：{listed}。" if problem_codes else text


def profile_out(
    profile: VolunteerProfile, phone: str | None, team_ids: list[uuid.UUID], rel: Reliability
) -> VolunteerProfileOut:
    skills = [VolunteerSkill(s) for s in profile.skills]
    return VolunteerProfileOut(
        user_id=profile.user_id,
        real_name=profile.real_name,
        phone_masked=mask_phone(phone),
        skills=skills,
        skill_titles=[SKILL_TITLES[s] for s in skills],
        community_ids=list(profile.community_ids),
        team_ids=team_ids,
        reliability=rel.ratio,
        attended=rel.attended,
        no_shows=rel.no_shows,
        late_cancels=rel.late_cancels,
    )


def team_out(team: VolunteerTeam, members: int) -> VolunteerTeamOut:
    return VolunteerTeamOut(
        id=team.id, name=team.name, community_id=team.community_id, description=team.description, member_count=members
    )


def join_out(req: VolunteerJoinRequest, name: str | None) -> VolunteerJoinRequestOut:
    status = VolunteerJoinStatus(req.status)
    return VolunteerJoinRequestOut(
        id=req.id,
        team_id=req.team_id,
        user_id=req.user_id,
        real_name=name,
        message=req.message,
        status=status,
        status_title=JOIN_REQUEST_STATUS_TITLES[status],
        created_at=req.created_at,
        decided_at=req.decided_at,
    )


def project_out(p: VolunteerProject) -> VolunteerProjectOut:
    theme = VolunteerTheme(p.theme)
    return VolunteerProjectOut(
        id=p.id, team_id=p.team_id, name=p.name, theme=theme, theme_title=THEME_TITLES[theme], description=p.description
    )


def activity_out(a: VolunteerActivity, waitlisted: int) -> VolunteerActivityOut:
    status = VolunteerActivityStatus(a.status)
    return VolunteerActivityOut(
        id=a.id,
        project_id=a.project_id,
        team_id=a.team_id,
        series_id=a.series_id,
        title=a.title,
        description=a.description,
        address=a.address,
        latitude=a.latitude,
        longitude=a.longitude,
        radius_m=a.radius_m,
        compound_id=a.compound_id,
        community_id=a.community_id,
        starts_at=a.starts_at,
        ends_at=a.ends_at,
        signup_deadline=a.signup_deadline,
        cancel_window_hours=a.cancel_window_minutes / 60,
        capacity=a.capacity,
        confirmed=a.confirmed_count,
        waitlisted=waitlisted,
        required_skills=[VolunteerSkill(s) for s in a.required_skills],
        status=status,
        status_title=ACTIVITY_STATUS_TITLES[status],
    )


def signup_out(s: VolunteerSignup, *, name: str | None = None, position: int | None = None) -> VolunteerSignupOut:
    status = VolunteerSignupStatus(s.status)
    checkout = VolunteerCheckoutStatus(s.checkout_status)
    return VolunteerSignupOut(
        id=s.id,
        activity_id=s.activity_id,
        user_id=s.user_id,
        real_name=name,
        status=status,
        status_title=SIGNUP_STATUS_TITLES[status],
        waitlist_position=position,
        offer_expires_at=s.offer_expires_at,
        late_cancel=s.late_cancel,
        checked_in_at=s.checked_in_at,
        checked_out_at=s.checked_out_at,
        checkout_status=checkout,
        checkout_status_title=CHECKOUT_STATUS_TITLES[checkout],
        credit_minutes=s.credit_minutes,
        zero_reason=s.zero_reason,
        points=s.points,
    )
