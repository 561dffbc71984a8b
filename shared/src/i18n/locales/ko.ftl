### Bookwarden's email catalog: Korean (polite form).
###
### Same message ids and attributes as en.ftl; see there for what each
### argument holds. No particle whose form depends on the preceding sound
### (이/가, 을/를, 은/는, (으)로) follows a placeable: values are arbitrary.

-brand = Bookwarden

## Moments, e.g. "2026년 12월 1일 (화) 22:30 (Asia/Seoul, UTC+09:00)".

when = { $year }년 { $month } { $day }일 ({ $weekday }) { $time } ({ $zone }, { $offset })

weekday-1 = 월
weekday-2 = 화
weekday-3 = 수
weekday-4 = 목
weekday-5 = 금
weekday-6 = 토
weekday-7 = 일

month-1 = 1월
month-2 = 2월
month-3 = 3월
month-4 = 4월
month-5 = 5월
month-6 = 6월
month-7 = 7월
month-8 = 8월
month-9 = 9월
month-10 = 10월
month-11 = 11월
month-12 = 12월

## Roles, as named in a security notice.

role-owner = 소유자
role-admin = 관리자
role-staff = 직원

## Pieces outside a message body.

preferences-footer = 이메일 설정 및 수신 거부: { $url }
calendar-summary = { $business } 예약

## Messages to the customer about their booking.

booking-confirmed =
    .subject = [{ $business }] 예약이 확정되었습니다
    .text =
        { $name }님, 안녕하세요.

        { $business } 예약이 확정되었습니다.

        시작: { $start }
        종료: { $end }

        예약을 확인, 변경 또는 취소하려면 아래 링크를 열어 주세요.
        { $manage_url }

booking-cancelled =
    .subject = [{ $business }] 예약이 취소되었습니다
    .text =
        { $name }님, 안녕하세요.

        { $business }의 다음 예약이 취소되었습니다.

        일시: { $start }

        자세한 내용은 예약 관리 링크에서 확인하실 수 있습니다.

booking-moved =
    .subject = [{ $business }] 예약 일시가 변경되었습니다
    .text =
        { $name }님, 안녕하세요.

        { $business } 예약 일시가 변경되었습니다.

        새 시작: { $start }
        새 종료: { $end }
        이전 시작: { $previous_start }

        자세한 내용은 예약 관리 링크에서 확인하실 수 있습니다.

reminder =
    .subject = [{ $business }] 예약 알림
    .text =
        { $name }님, 안녕하세요.

        { $business } 예약 일정을 알려 드립니다.

        일시: { $start }

        더 이상 알림을 받지 않으려면 아래 링크를 열어 주세요.
        { $unsubscribe_url }

## Notes to the staff member an appointment is booked with.

staff-booking-new =
    .subject = 새 예약이 접수되었습니다
    .text =
        { $name }님, 안녕하세요.

        담당하시는 새 예약이 접수되었습니다.

        시작: { $start }
        종료: { $end }

staff-booking-cancelled =
    .subject = 예약이 취소되었습니다
    .text =
        { $name }님, 안녕하세요.

        담당하시는 예약이 취소되었습니다.

        시작: { $start }
        종료: { $end }

staff-booking-moved =
    .subject = 예약 일시가 변경되었습니다
    .text =
        { $name }님, 안녕하세요.

        담당하시는 예약의 일시가 변경되었습니다.

        새 시작: { $start }
        새 종료: { $end }
        이전 시작: { $previous_start }

## Links and codes for accounts.

verify-email =
    .subject = [{ $business }] 이메일 주소를 확인해 주세요
    .text =
        { $name }님, 안녕하세요.

        { -brand }에 오신 것을 환영합니다.

        이 주소가 { $business } 소유자의 주소인지 확인하기 위해 24시간 이내에 아래 링크를 열어 주세요.

        { $url }

        가입하신 적이 없다면 이 메일을 무시하셔도 됩니다. 아무 일도 일어나지 않습니다.

password-reset =
    .subject = { -brand } 비밀번호 재설정
    .text =
        { $name }님, 안녕하세요.

        { $business } 계정의 비밀번호 재설정이 요청되었습니다.

        새 비밀번호를 설정하려면 30분 이내에 아래 링크를 열어 주세요(한 번만 사용할 수 있습니다).

        { $url }

        요청하신 적이 없다면 이 메일을 무시하셔도 됩니다. 비밀번호는 그대로 유지됩니다.

invitation =
    .subject = [{ $business }] { -brand } 초대
    .text =
        { $name }님, 안녕하세요.

        { -brand }의 { $business }에 초대되었습니다. 7일 이내에 아래 링크를 열어 비밀번호를 설정해 주세요(한 번만 사용할 수 있습니다).

        { $url }

confirm-new-email =
    .subject = 새 이메일 주소를 확인해 주세요
    .text =
        { $name }님, 안녕하세요.

        { $business }의 { -brand } 계정에서 이 주소를 사용하려면 24시간 이내에 아래 링크를 열어 확인해 주세요(한 번만 사용할 수 있습니다).

        { $url }

        요청하신 적이 없다면 이 메일을 무시하셔도 됩니다.

sign-in-code =
    .subject = { -brand } 로그인 코드
    .text =
        { $name }님, 안녕하세요.

        { $business } 로그인 코드는 다음과 같습니다.

        { $code }

        이 코드는 앞으로 10분 동안 한 번만 사용할 수 있습니다. 지금 로그인하는 중이 아니라면 누군가 비밀번호를 알고 있는 것입니다. 비밀번호를 변경해 주세요.

## Security notices: one frame, and per event a subject and a sentence ($what).

security-notice =
    .text =
        { $name }님, 안녕하세요.

        { $what }

        계정: { $business }
        일시: { $at }

        본인이 한 일이라면 더 하실 일은 없습니다. 본인이 아니라면 지금 비밀번호를 재설정하고 { $business } 소유자에게 알려 주세요.

        이 메일은 계정 보안에 관한 안내이므로 수신을 거부할 수 없습니다.

security-password-changed =
    .subject = { -brand } 비밀번호가 변경되었습니다
    .what = 계정의 비밀번호가 변경되었습니다.

security-password-reset =
    .subject = { -brand } 비밀번호가 재설정되었습니다
    .what = 이메일로 받은 링크를 통해 계정의 비밀번호가 재설정되었습니다. 모든 세션에서 로그아웃되었습니다.

security-two-step-enabled =
    .subject = 2단계 인증이 켜졌습니다
    .what = 계정에 인증 앱이 추가되었습니다.

security-authenticator-replaced =
    .subject = 인증 앱이 교체되었습니다
    .what = 계정의 인증 앱이 새 앱으로 교체되었습니다. 이전 앱의 코드와 이전 복구 코드는 더 이상 사용할 수 없습니다.

security-two-step-disabled =
    .subject = 2단계 인증이 꺼졌습니다
    .what = 계정에서 인증 앱이 제거되었습니다.

security-recovery-codes-replaced =
    .subject = 복구 코드가 새로 발급되었습니다
    .what = 새 복구 코드가 생성되었습니다. 이전 코드는 더 이상 사용할 수 없습니다.

security-recovery-code-used =
    .subject = 복구 코드가 사용되었습니다
    .what = 계정 로그인에 복구 코드가 사용되었습니다.

security-second-step-failed =
    .subject = 계정 로그인이 2단계에서 실패했습니다
    .what = 비밀번호는 올바르게 입력되었지만 2단계 인증에 실패했습니다. 본인이 아니라면 누군가 비밀번호를 알고 있는 것입니다. 지금 비밀번호를 재설정해 주세요.

security-locked-after-passwords =
    .subject = { -brand } 계정이 잠겼습니다
    .what = 계정에 잘못된 비밀번호가 여러 번 입력되어 계정이 잠시 잠겼습니다. 잠금은 시간이 지나면 자동으로 풀리며, 비밀번호를 재설정해도 풀립니다.

security-locked-after-second-step =
    .subject = { -brand } 계정이 잠겼습니다
    .what = 비밀번호는 올바르게 입력되었지만 2단계 인증에 여러 번 실패하여 계정이 잠시 잠겼습니다. 누군가 비밀번호를 알고 있을 수 있습니다. 지금 비밀번호를 재설정해 주세요.

security-email-change-requested =
    .subject = 이메일 주소 변경이 요청되었습니다
    .what = 계정에 로그인한 누군가가 계정을 다른 이메일 주소로 옮기도록 요청했습니다. 새 주소에서 확인해야만 변경됩니다.

security-email-changed =
    .subject = { -brand } 이메일 주소가 변경되었습니다
    .what = 계정의 이메일 주소가 변경되었으며 새 메일함에서 확인되었습니다.

security-api-key-created =
    .subject = { -brand } API 키가 생성되었습니다
    .what = ‘{ $key_name }’ 이름의 API 키가 생성되었습니다.

security-api-key-revoked =
    .subject = { -brand } API 키가 폐기되었습니다
    .what = ‘{ $key_name }’ 이름의 API 키가 폐기되었습니다.

security-calendar-connected =
    .subject = { -brand } 계정에 캘린더가 연결되었습니다
    .what = { $provider } 캘린더가 연결되었습니다. 이제 바쁜 시간에는 예약이 막히며, 그 밖의 정보는 보관하지 않습니다.

security-calendar-disconnected =
    .subject = { -brand } 계정에서 캘린더 연결이 해제되었습니다
    .what = { $provider } 캘린더 연결이 해제되었고, 제공자가 허용하는 경우 접근 권한이 취소되었으며, 가져온 바쁜 시간은 모두 삭제되었습니다.

security-calendar-needs-reconnect =
    .subject = { $provider } 캘린더를 다시 연결해야 합니다
    .what = { $provider } 캘린더에 대한 접근 권한이 취소되었거나 만료되어, 바쁜 시간이 더 이상 예약을 막지 않습니다. 연결을 해제한 뒤 다시 연결하세요.

security-data-export-ready =
    .subject = { -brand } 비즈니스의 데이터 내보내기가 준비되었습니다
    .what = 회원님 또는 다른 소유자가 요청한 데이터 내보내기가 준비되었습니다. 로그인한 뒤 2일 이내에 내보내기 페이지에서 내려받으세요. 보안을 위해 다운로드 링크는 이메일로 보내지 않습니다. 요청한 소유자가 없다면 비밀번호를 변경하고 팀 구성원을 확인하세요.

security-role-changed =
    .subject = { -brand } 역할이 변경되었습니다
    .what = 현재 역할은 ‘{ $role }’입니다. 다시 로그인해 주세요.

security-business-closed =
    .subject = { -brand }: 비즈니스가 종료되었습니다
    .what = 소유자가 비즈니스를 종료했습니다. 예약 페이지가 중지되었고 모든 세션이 로그아웃되었습니다. 데이터는 60일 동안 보관되며, 그동안 소유자가 로그인하여 복원할 수 있습니다. 그 후에는 백업을 포함해 영구적으로 삭제됩니다.

security-business-restored =
    .subject = { -brand }: 비즈니스가 복원되었습니다
    .what = 소유자가 비즈니스를 복원했습니다. 예약 페이지가 다시 열렸으며, 모두 다시 로그인해야 합니다.
