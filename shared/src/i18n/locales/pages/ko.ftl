### Bookwarden 페이지 텍스트: 한국어(존댓말). 페이지(functions/src/pages)는 이
### 텍스트를 HTML 이스케이프하여 표시합니다. en.ftl, de.ftl, fr.ftl, ja.ftl에도 같은 ID가 있습니다.
### 자리 표시자 뒤에는 앞소리에 따라 형태가 바뀌는 조사(이/가, 을/를, 은/는, (으)로)를
### 쓰지 않습니다. 값은 무엇이든 될 수 있기 때문입니다.

## 날짜. 예: "2026년 12월 1일 (화)" ($weekday와 $month는 이메일 카탈로그의
## weekday-N과 month-N 메시지, $day는 숫자).
day = { $year }년 { $month } { $day }일 ({ $weekday })

## 모든 페이지.
page-skip = 본문으로 건너뛰기
page-languages = 언어
page-error-title = 문제가 발생했습니다
page-noscript = 이 페이지는 열어 본 링크의 비밀 부분을 JavaScript로 읽기 때문에 그 부분이 서버 로그에 남지 않습니다. JavaScript를 켜고 링크를 다시 열어 주세요.
page-powered = Bookwarden 예약 서비스
page-not-found-title = 페이지를 찾을 수 없습니다
page-not-found = 존재하지 않는 페이지이거나, 이 업체가 더 이상 여기에서 예약을 받지 않습니다.
page-link-invalid = 이 링크는 더 이상 유효하지 않습니다. 이미 사용되었거나, 만료되었거나, 일부만 복사되었을 수 있습니다. 새 링크를 요청해 주세요.
page-cross-site = 이 양식은 다른 웹사이트에서 제출되어 아무것도 처리되지 않았습니다. 이 페이지를 다시 열고 여기에서 제출해 주세요.
page-try-again = 서버에 문제가 발생하여 아무것도 변경되지 않았습니다. 잠시 후 다시 시도해 주세요.
page-too-many = 짧은 시간에 너무 많이 시도했습니다. 몇 분 후에 다시 시도해 주세요.
page-form-reused = 이 양식은 이미 다른 내용으로 제출되었습니다. 페이지를 새로고침한 뒤 다시 시도해 주세요.
page-field-invalid = 이 항목을 확인해 주세요.
page-required = 필수
page-optional = 선택

## 입력 항목 오류.
field-name = 이름을 입력해 주세요(최대 100자).
field-email = name@example.com 형식의 이메일 주소를 입력해 주세요.
field-phone = 숫자, 공백, + ( ) - 로 이루어진 전화번호를 입력해 주세요(최대 40자).
field-start = 예약 가능한 시간 중 하나를 선택해 주세요.
field-answer = 이 질문에 답해 주세요(허용된 길이 이내로 입력하거나 선택지 중 하나를 고르세요).
field-password = 비밀번호를 입력해 주세요.
field-weak-password = 더 길거나 추측하기 어려운 비밀번호를 선택해 주세요. 서로 관련 없는 여러 단어로 된 패스프레이즈가 좋습니다.
field-tz = 목록에서 시간대를 선택해 주세요(예: Asia/Seoul).
field-date = 예약 가능 기간 내의 날짜를 입력해 주세요.

## 예약 페이지.
book-title = { $business } 예약
book-step-choose = 예약 항목 선택
book-service = 서비스
book-minutes = { $minutes }분
book-staff = 담당자
book-anyone = 지정 안 함
book-date = 날짜
book-zone = 내 시간대
book-zone-note = 시간은 { $zone } 기준으로 표시됩니다. { $business }의 시간대는 { $business_zone }입니다.
book-show-times = 예약 가능한 시간 보기
book-days = 예약 가능한 다른 날짜
book-slots = { $date } 예약 가능 시간
book-no-slots = 이날은 예약 가능한 시간이 없습니다.
book-no-services = 이 업체에는 아직 예약할 수 있는 서비스가 없습니다.
book-details = 예약자 정보
book-name = 이름
book-email = 이메일
book-phone = 전화번호
book-submit = 이 시간으로 예약
book-slot-taken = 방금 다른 분이 이 시간을 예약했습니다. 다른 시간을 선택해 주세요. 가장 가까운 예약 가능 시간부터 표시됩니다.
book-done-title = 예약이 완료되었습니다
book-done = { $business } { $service }, { $when }. 예약을 변경하거나 취소할 수 있는 링크가 담긴 확인 메일을 이메일 주소로 보내 드립니다.
book-ics = 내 캘린더에 추가
book-again = 다른 예약하기

## 이메일로 받은 링크에서 예약 관리.
manage-title = 내 예약
manage-open = 내 예약 보기
manage-service = 서비스
manage-when = 일시
manage-cancelled = 취소된 예약입니다.
manage-cancel-title = 취소
manage-cancel = 이 예약 취소
manage-move-title = 다른 시간으로 변경
manage-move = 이 시간으로 변경
manage-too-late = 이 예약은 더 이상 온라인으로 변경할 수 없습니다. 변경은 시작 { $hours }시간 전까지만 가능합니다. { $business }에 직접 문의해 주세요.
manage-cancelled-title = 예약이 취소되었습니다
manage-cancelled-done = { $business }에도 알렸습니다. 확인 메일을 이메일 주소로 보내 드립니다.
manage-moved-title = 예약이 변경되었습니다
manage-moved-done = 변경된 일시는 { $when }입니다. 확인 메일을 이메일 주소로 보내 드립니다.

## 계정 링크.
verify-title = 이메일 주소 확인
verify-intro = 이 주소를 확인하면 업체가 활성화됩니다.
verify-submit = 이메일 주소 확인
verify-done-title = 이메일 주소가 확인되었습니다
verify-done = 업체가 활성화되었습니다. 이제 로그인할 수 있습니다.
reset-title = 새 비밀번호 설정
reset-password = 새 비밀번호
reset-hint = 15자 이상. 서로 관련 없는 여러 단어로 된 패스프레이즈는 기억하기 쉽고 추측하기 어렵습니다.
reset-submit = 새 비밀번호 저장
reset-done-title = 비밀번호가 변경되었습니다
reset-done = 모든 기기에서 로그아웃되었습니다. 새 비밀번호로 로그인해 주세요.
accept-title = 팀에 참여하기
accept-intro = 비밀번호를 설정하여 계정 설정을 마무리해 주세요.
accept-submit = 계정 만들기
accept-done-title = 계정이 준비되었습니다
accept-done = 이제 이메일 주소와 설정한 비밀번호로 로그인할 수 있습니다.
confirm-title = 새 이메일 주소 확인
confirm-intro = 확인하면 앞으로 이 주소를 로그인과 알림 수신에 사용합니다.
confirm-submit = 새 주소 확인
confirm-done-title = 이메일 주소가 변경되었습니다
confirm-done = 앞으로는 새 주소로 로그인해 주세요.

## 이메일 설정 및 원클릭 수신 거부.
prefs-title = 이메일 설정
prefs-intro = 예약 전에 보내 드리는 알림 메일은 여기에서 끌 수 있습니다. 직접 하신 예약의 확인 및 변경 안내 메일은 항상 발송됩니다.
prefs-submit = 알림 메일 받지 않기
prefs-no-link = 알림을 끄려면 알림 메일 끝에 있는 링크로 이 페이지를 열어 주세요.
prefs-done-title = 알림이 꺼졌습니다
prefs-done = 이제 { $business }에서 보내는 알림 메일을 받지 않습니다.
