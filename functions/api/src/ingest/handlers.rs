//! Handlers of the ingestion routes: parse, call the service, answer as geocube-ingester does.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use stratus_ingest::area::Area;
use stratus_ingest::model::{
    Instance, SCENE_DATA_FIELDS, SceneData, SceneToIngest, Scenes, TILE_DATA_FIELDS, TileData,
    Variable, reject_unknown,
};
use stratus_ingest::ports::Page;
use stratus_ingest::service::{IngestService, is_pattern};
use stratus_ingest::status::Status;

use super::error::{IngestError, IngestResult};
use super::form::Form;
use crate::extract::QueryPairs;
use crate::state::AppState;

fn service(state: &AppState) -> IngestResult<&IngestService> {
    state.ingest.as_deref().ok_or_else(|| {
        IngestError::new(
            StatusCode::NOT_FOUND,
            "ingestion is not configured on this server",
        )
    })
}

fn text(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// A scene or tile id from the path: a non-integer is 400.
fn id_of(raw: &str, what: &str) -> IngestResult<i64> {
    raw.parse::<i64>().map_err(|_| {
        IngestError::bad_request(format!(
            "{what} id '{}' is not an integer",
            raw.chars().take(32).collect::<String>()
        ))
    })
}

/// 0-based `page` and `limit` (default: everything); non-integers are ignored, as the reference
/// does.
fn page_of(query: &QueryPairs) -> Page {
    let get = |name: &str| {
        query
            .0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    let limit = get("limit").filter(|l| *l > 0).map(|l| l as u64);
    Page {
        page: get("page").filter(|p| *p > 0).map_or(0, |p| p as u64),
        limit,
    }
}

fn area_of(form: &Form) -> IngestResult<Area> {
    let bytes = form.get("area").ok_or_else(|| {
        IngestError::bad_request("missing required field: 'area' (application/json)")
    })?;
    let mut area = Area::parse(bytes).map_err(IngestError::from)?;
    // page/limit parameters of the URL override the payload's (as geocube-ingester does).
    let q = |k: &str| {
        form.get(k)
            .and_then(|b| std::str::from_utf8(b).ok()?.parse::<i64>().ok())
    };
    if let Some(p) = q("page").filter(|p| *p >= 0) {
        area.page = u32::try_from(p).unwrap_or(u32::MAX);
    }
    if let Some(l) = q("limit") {
        area.limit = l;
    }
    Ok(area)
}

fn scenes_of(form: &Form, field: &str) -> IngestResult<Option<Scenes>> {
    let Some(bytes) = form.get(field) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::bad_request(format!("{field}: not valid JSON: {e}")))?;
    Scenes::from_geojson(&value)
        .map(Some)
        .map_err(|e| IngestError::bad_request(format!("{field}: {e}")))
}

fn geojson(scenes: &Scenes) -> Response {
    (
        [(CONTENT_TYPE, "application/geo+json")],
        Json(scenes.to_geojson()),
    )
        .into_response()
}

/// `GET /ingester`.
pub async fn status() -> Response {
    text(StatusCode::OK, "ingester ok".into())
}

/// `GET|POST /catalog/scenes`: the scenes of the `area` field.
pub async fn catalog_scenes(State(state): State<AppState>, form: Form) -> IngestResult<Response> {
    let svc = service(&state)?;
    let area = area_of(&form)?;
    Ok(geojson(&svc.catalog_scenes(&area).await?))
}

/// `GET|POST /catalog/tiles`: the tiles of the `scenes` field.
pub async fn catalog_tiles(State(state): State<AppState>, form: Form) -> IngestResult<Response> {
    let svc = service(&state)?;
    let area = area_of(&form)?;
    let scenes = scenes_of(&form, "scenes")?.ok_or_else(|| {
        IngestError::bad_request("missing required field: 'scenes' (application/json)")
    })?;
    Ok(geojson(&svc.catalog_tiles(&area, scenes).await?))
}

/// `POST /catalog/aoi`: starts the ingestion of `area` (from `tiles`, `scenes` or a search).
pub async fn catalog_aoi(State(state): State<AppState>, form: Form) -> IngestResult<Response> {
    let svc = service(&state)?;
    let area = area_of(&form)?;
    let tiles = scenes_of(&form, "tiles")?;
    let scenes = if tiles.is_none() {
        scenes_of(&form, "scenes")?
    } else {
        None
    };
    let done = svc.ingest_area(&area, scenes, tiles).await?;
    Ok(text(StatusCode::OK, done.message()))
}

/// `GET /aoi/`: every AOI and its status.
pub async fn list_aois(State(state): State<AppState>) -> IngestResult<Response> {
    Ok(Json(service(&state)?.aois("").await?).into_response())
}

/// `GET /aoi/{aoi}`: the text summary, or the AOIs matching a pattern.
pub async fn get_aoi(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<Response> {
    let svc = service(&state)?;
    if is_pattern(&aoi) {
        return Ok(Json(svc.aois(&aoi).await?).into_response());
    }
    Ok(text(StatusCode::OK, svc.summary(&aoi).await?))
}

/// `POST /aoi/{aoi}`: 204, or 409 if it exists.
pub async fn create_aoi(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<StatusCode> {
    service(&state)?.create_aoi(&aoi).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /aoi/{aoi}`: 204 (also for an unknown AOI).
pub async fn delete_aoi(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<StatusCode> {
    service(&state)?.delete_aoi(&aoi).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /aoi/{aoi}/dot`: Graphviz.
pub async fn aoi_dot(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<Response> {
    let dot = service(&state)?.dot(&aoi).await?;
    Ok(([(CONTENT_TYPE, "text/vnd.graphviz; charset=utf-8")], dot).into_response())
}

/// `POST /aoi/{aoi}/scene`: `{"id": n}` (0 if it already existed).
pub async fn ingest_scene(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
    body: Bytes,
) -> IngestResult<Response> {
    let svc = service(&state)?;
    let scene: SceneToIngest = serde_json::from_slice(&body)
        .map_err(|e| IngestError::bad_request(format!("scene: {e}")))?;
    let id = svc.ingest_scene(&aoi, scene).await?;
    Ok(Json(json!({ "id": id })).into_response())
}

fn status_param(raw: &str) -> IngestResult<Status> {
    raw.parse::<Status>().map_err(IngestError::from)
}

/// `GET /aoi/{aoi}/scenes`.
pub async fn aoi_scenes(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
    query: QueryPairs,
) -> IngestResult<Response> {
    let s = service(&state)?.scenes(&aoi, None, page_of(&query)).await?;
    Ok(Json(s).into_response())
}

/// `GET /aoi/{aoi}/scenes/{status}`.
pub async fn aoi_scenes_by_status(
    State(state): State<AppState>,
    Path((aoi, status)): Path<(String, String)>,
    query: QueryPairs,
) -> IngestResult<Response> {
    let status = status_param(&status)?;
    let s = service(&state)?
        .scenes(&aoi, Some(status), page_of(&query))
        .await?;
    Ok(Json(s).into_response())
}

/// `GET /aoi/{aoi}/tiles/{status}`.
pub async fn aoi_tiles(
    State(state): State<AppState>,
    Path((aoi, status)): Path<(String, String)>,
    query: QueryPairs,
) -> IngestResult<Response> {
    let status = status_param(&status)?;
    let t = service(&state)?
        .aoi_tiles(&aoi, Some(status), page_of(&query))
        .await?;
    Ok(Json(t).into_response())
}

/// `GET /aoi/{aoi}/roottiles`.
pub async fn root_tiles(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<Response> {
    Ok(Json(service(&state)?.roots(&aoi).await?).into_response())
}

/// `GET /aoi/{aoi}/leaftiles`.
pub async fn leaf_tiles(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<Response> {
    Ok(Json(service(&state)?.leaves(&aoi).await?).into_response())
}

async fn retry(state: &AppState, aoi: &str, force: bool) -> IngestResult<Response> {
    let (scenes, tiles) = service(state)?.retry_aoi(aoi, force).await?;
    if scenes == 0 && tiles == 0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(json!({"Scenes": scenes, "Tiles": tiles})).into_response())
}

/// `PUT /aoi/{aoi}/retry`.
pub async fn retry_aoi(
    State(state): State<AppState>,
    Path(aoi): Path<String>,
) -> IngestResult<Response> {
    retry(&state, &aoi, false).await
}

/// `PUT /aoi/{aoi}/retry/{force}` (`force` forces; anything else is a plain retry).
pub async fn force_retry_aoi(
    State(state): State<AppState>,
    Path((aoi, force)): Path<(String, String)>,
) -> IngestResult<Response> {
    retry(&state, &aoi, force == "force").await
}

/// `GET /scene/{id}`.
pub async fn get_scene(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<Response> {
    let id = id_of(&id, "scene")?;
    Ok(Json(service(&state)?.scene(id).await?).into_response())
}

/// `GET /scene/{id}/tiles`.
pub async fn scene_tiles(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<Response> {
    let id = id_of(&id, "scene")?;
    Ok(Json(service(&state)?.scene_tiles(id).await?).into_response())
}

fn data_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    known: &[&str],
    what: &str,
) -> IngestResult<T> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| IngestError::bad_request(format!("{what}: not valid JSON: {e}")))?;
    reject_unknown(&value, known, what).map_err(IngestError::from)?;
    serde_json::from_value(value).map_err(|e| IngestError::bad_request(format!("{what}: {e}")))
}

/// `PUT /scene/{id}/data`: 204.
pub async fn scene_data(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "scene")?;
    let data: SceneData = data_body(&body, SCENE_DATA_FIELDS, "scene data")?;
    service(&state)?.set_scene_data(id, &data).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn changed(done: bool) -> StatusCode {
    if done {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    }
}

/// `PUT /scene/{id}/retry`: 200, or 403 unless the scene is RETRY.
pub async fn retry_scene(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "scene")?;
    Ok(changed(
        service(&state)?
            .scene_status(id, Status::Pending, false)
            .await?,
    ))
}

/// `PUT /scene/{id}/fail`: 200, or 403 unless PENDING/RETRY.
pub async fn fail_scene(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "scene")?;
    Ok(changed(
        service(&state)?
            .scene_status(id, Status::Failed, false)
            .await?,
    ))
}

fn forced_status(raw: &str) -> IngestResult<Status> {
    raw.parse::<Status>()
        .map_err(|e| IngestError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `PUT /scene/{id}/force/{status}`: 200; 500 for a bad status name.
pub async fn force_scene(
    State(state): State<AppState>,
    Path((id, status)): Path<(String, String)>,
) -> IngestResult<StatusCode> {
    let status = forced_status(&status)?;
    let id = id_of(&id, "scene")?;
    Ok(changed(
        service(&state)?.scene_status(id, status, true).await?,
    ))
}

/// `GET /tile/{id}`.
pub async fn get_tile(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<Response> {
    let id = id_of(&id, "tile")?;
    Ok(Json(service(&state)?.tile(id).await?).into_response())
}

/// `PUT /tile/{id}/data`: 204.
pub async fn tile_data(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "tile")?;
    let data: TileData = data_body(&body, TILE_DATA_FIELDS, "tile data")?;
    service(&state)?.set_tile_data(id, &data).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /tile/{id}/retry`: 200; 403 unless RETRY; 500 if its scene or previous tile is not DONE.
pub async fn retry_tile(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "tile")?;
    Ok(changed(
        service(&state)?
            .tile_status(id, Status::Pending, false)
            .await?,
    ))
}

/// `PUT /tile/{id}/fail`: 200; 403 unless PENDING/RETRY; 500 if its previous tile is FAILED or
/// a next tile is not NEW.
pub async fn fail_tile(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<StatusCode> {
    let id = id_of(&id, "tile")?;
    Ok(changed(
        service(&state)?
            .tile_status(id, Status::Failed, false)
            .await?,
    ))
}

/// `PUT /tile/{id}/force/{status}`.
pub async fn force_tile(
    State(state): State<AppState>,
    Path((id, status)): Path<(String, String)>,
) -> IngestResult<StatusCode> {
    let status = forced_status(&status)?;
    let id = id_of(&id, "tile")?;
    Ok(changed(
        service(&state)?.tile_status(id, status, true).await?,
    ))
}

/// `GET /variables`.
pub async fn list_variables(State(state): State<AppState>) -> IngestResult<Response> {
    Ok(Json(service(&state)?.variables().await?).into_response())
}

/// `POST /variables` (`{"name", "unit"?, "description"?, "instances"?: [{"name", "metadata"?}]}`):
/// 201 with the variable.
pub async fn create_variable(State(state): State<AppState>, body: Bytes) -> IngestResult<Response> {
    let v: Variable = serde_json::from_slice(&body)
        .map_err(|e| IngestError::bad_request(format!("variable: {e}")))?;
    let created = service(&state)?.create_variable(v).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /variables/{name}`.
pub async fn get_variable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> IngestResult<Response> {
    Ok(Json(service(&state)?.variable(&name).await?).into_response())
}

/// `POST /variables/{name}/instances` (`{"name", "metadata"?}`): 201 with the instance.
pub async fn create_instance(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> IngestResult<Response> {
    let i: Instance = serde_json::from_slice(&body)
        .map_err(|e| IngestError::bad_request(format!("instance: {e}")))?;
    let created = service(&state)?.add_instance(&name, i).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `GET /records?aoi=&page=&limit=`.
pub async fn list_records(
    State(state): State<AppState>,
    query: QueryPairs,
) -> IngestResult<Response> {
    let aoi = query
        .0
        .iter()
        .find(|(k, _)| k == "aoi")
        .map(|(_, v)| v.as_str());
    Ok(Json(service(&state)?.records(aoi, page_of(&query)).await?).into_response())
}

/// `GET /records/{id}`: the record with its datasets.
pub async fn get_record(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> IngestResult<Response> {
    Ok(Json(service(&state)?.record(&id).await?).into_response())
}
