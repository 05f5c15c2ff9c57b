"""The OpenAPI description served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from .. import __version__

_FINDING: dict[str, Any] = {
    "type": "object",
    "description": "一个问题：规则编号、严重程度、位置和改法（与 nianbao check --json 相同）",
    "properties": {
        "code": {"type": "string"},
        "severity": {"type": "string", "enum": ["error", "warning", "info"]},
        "message": {"type": "string"},
        "file": {"type": "string"},
        "sheet": {"type": "string"},
        "cell": {"type": "string"},
        "department": {"type": "string"},
        "key": {"type": "string"},
        "value": {},
        "expected": {},
        "extra": {"type": "object"},
    },
    "required": ["code", "severity", "message"],
}
_ERROR: dict[str, Any] = {"type": "object", "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ERROR, description)


_LOGIN = "需要先在 /login 登录（会话 Cookie）"
_CSRF = [
    {
        "name": "X-CSRF-Token",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "GET /api/v1/session 返回的 csrf_token",
    }
]

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "nianbao 年报收集",
        "version": __version__,
        "description": "政府信息公开工作年度报告填报表的检查与收集。",
    },
    "paths": {
        "/api/v1/check": {
            "post": {
                "summary": "检查一份填报表（不保存），返回与 nianbao check --json 相同的问题列表",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"file": {"type": "string", "format": "binary"}},
                                "required": ["file"],
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "array", "items": _FINDING}, "问题列表（没有问题时为空列表）"),
                    "400": _error("请求中没有 file 字段"),
                    "413": _error("文件超过大小上限"),
                },
            }
        },
        "/api/v1/session": {
            "get": {
                "summary": "当前会话的 CSRF 校验码（" + _LOGIN + "）",
                "responses": {"200": _json({"type": "object"}, "csrf_token")},
            }
        },
        "/api/v1/collections": {
            "get": {
                "summary": "全部收集（" + _LOGIN + "）",
                "responses": {"200": _json({"type": "array"}, "收集列表")},
            },
            "post": {
                "summary": "建立一次收集（" + _LOGIN + "）",
                "parameters": _CSRF,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["body", "year", "deadline", "roster"],
                                "properties": {
                                    "body": {"type": "string"},
                                    "year": {"type": "integer"},
                                    "deadline": {"type": "string", "format": "date"},
                                    "roster": {"type": "array", "items": {"type": "string"}},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": _json({"type": "object"}, "新建的收集"),
                    "400": _error("内容不对"),
                    "403": _error("缺少 CSRF 校验码"),
                },
            },
        },
        "/api/v1/collections/{cid}": {
            "get": {
                "summary": "一次收集的各部门状态、每份文件及其问题（" + _LOGIN + "）",
                "parameters": [{"name": "cid", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json({"type": "object"}, "收集情况"), "404": _error("没有这次收集")},
            }
        },
        "/api/v1/collections/{cid}/merged": {
            "get": {
                "summary": "用已通过的文件汇总的 merged.json（" + _LOGIN + "）",
                "parameters": [{"name": "cid", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": _json({"type": ["object", "null"]}, "merged.json；还没有通过的文件时为 null")},
            }
        },
        "/api/v1/uploads/{uid}/return": {
            "post": {
                "summary": "退回一份文件，部门在报送页面上看到退回意见（" + _LOGIN + "）",
                "parameters": [{"name": "uid", "in": "path", "required": True, "schema": {"type": "integer"}}, *_CSRF],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"comment": {"type": "string"}},
                                "required": ["comment"],
                            }
                        }
                    },
                },
                "responses": {"200": _json({"type": "object"}, "已退回"), "403": _error("缺少 CSRF 校验码")},
            }
        },
        "/api/v1/departments/{did}/token": {
            "post": {
                "summary": "更换部门的报送链接（旧链接立即失效）（" + _LOGIN + "）",
                "parameters": [{"name": "did", "in": "path", "required": True, "schema": {"type": "integer"}}, *_CSRF],
                "responses": {"200": _json({"type": "object"}, "新的链接"), "403": _error("缺少 CSRF 校验码")},
            }
        },
        "/api/v1/departments/{did}/remove": {
            "post": {
                "summary": "把部门移出名单：不再计入回收情况和汇总，链接不再接受上传，已收到的文件保留（"
                + _LOGIN
                + "）",
                "parameters": [{"name": "did", "in": "path", "required": True, "schema": {"type": "integer"}}, *_CSRF],
                "responses": {"200": _json({"type": "object"}, "部门及 active=false"), "404": _error("没有这个部门")},
            }
        },
        "/api/v1/departments/{did}/restore": {
            "post": {
                "summary": "把移出的部门放回名单，原链接和历史文件照旧（" + _LOGIN + "）",
                "parameters": [{"name": "did", "in": "path", "required": True, "schema": {"type": "integer"}}, *_CSRF],
                "responses": {"200": _json({"type": "object"}, "部门及 active=true"), "404": _error("没有这个部门")},
            }
        },
    },
}
